"""One e-mail to the administrators when an incident opens, never one per failure."""

from django.conf import settings
from django.core.mail import send_mail
from django.db.models import Q
from django.utils import timezone, translation

from accounts.models import ROLE_GROUPS, Role, User

from .models import Incident


def notify_admins(*, incident_id: int) -> bool:
    """Claimed with a conditional UPDATE: a second call (a retry, a second worker) finds
    the incident already notified and sends nothing."""
    if not settings.INCIDENT_EMAILS:
        return False
    if not Incident.objects.filter(pk=incident_id, notified_at__isnull=True).update(
        notified_at=timezone.now()
    ):
        return False
    incident = Incident.objects.get(pk=incident_id)
    admins = User.objects.filter(is_active=True).filter(
        Q(is_superuser=True) | Q(groups__name=ROLE_GROUPS[Role.ADMIN])
    )
    if incident.organisation_id is not None:
        admins = admins.filter(organisation_id=incident.organisation_id)
    # One e-mail per language, each administrator's own (User.language).
    by_language: dict[str, set[str]] = {}
    for admin in admins.distinct():
        if admin.email:
            by_language.setdefault(admin.language or settings.LANGUAGE_CODE, set()).add(admin.email)
    if not by_language:
        return False
    link = f"{settings.SITE_URL.rstrip('/')}/incidents/"
    from django.utils.translation import gettext as _

    for language, recipients in sorted(by_language.items()):
        with translation.override(language):
            subject = _("[CommBilling] Incident: %(headline)s") % {"headline": incident.headline}
            body = "\n\n".join([incident.headline, incident.advice, link])
        send_mail(subject[:200], body, settings.DEFAULT_FROM_EMAIL, sorted(recipients))
    return True
