"""Incidents: failures join one open incident per organisation, process and kind.

Called by the automation core (``activity``) on every failure, automatic retry and
success; the functions take the record and what the core knows of the failure, never a
process by name.
"""

import logging

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models import Case, Count, F, IntegerField, Prefetch, Value, When
from django.utils import timezone

from accounts.models import Organisation, User
from activity.models import TrackedRecord

from . import versions
from .grouping import group
from .models import Incident, IncidentRecord, Severity

logger = logging.getLogger(__name__)

# The bar's drawer lists this many incidents; the incidents page lists them all.
DRAWER_SIZE = 10
# Each incident links to its latest records.
RECORDS_SHOWN = 3


def _record_url(record: models.Model) -> str:
    get_url = getattr(record, "get_absolute_url", None)
    return get_url() if get_url else ""


@transaction.atomic
def note_failure(*, record: TrackedRecord, process: str, cause: str, details: dict) -> Incident:
    """The record failed (for good, or waiting for a retry): it joins the open incident of
    its kind, which is opened if there is none, and leaves any other."""
    organisation_id = record.organisation_id
    kind = group(cause=cause, details=details)
    now = timezone.now()
    incident, opened = Incident.objects.get_or_create(
        organisation_id=organisation_id,
        process=process,
        key=kind.key,
        resolved_at__isnull=True,
        defaults={
            "cause": cause,
            "service": kind.service,
            "severity": kind.severity,
            "details": kind.details,
            "opened_at": now,
        },
    )
    content_type = ContentType.objects.get_for_model(record)
    _leave(content_type=content_type, object_id=record.pk, now=now, staying=incident.pk)
    member, created = IncidentRecord.objects.get_or_create(
        incident=incident,
        content_type=content_type,
        object_id=record.pk,
        defaults={
            "record_label": str(record)[:120],
            "record_url": _record_url(record),
            "joined_at": now,
        },
    )
    joined = created or bool(
        IncidentRecord.objects.filter(pk=member.pk, left_at__isnull=False).update(
            left_at=None, joined_at=now
        )
    )
    Incident.objects.filter(pk=incident.pk).update(
        failures=F("failures") + 1,
        affected=F("affected") + (1 if joined else 0),
        last_seen_at=now,
        details=kind.details,
    )
    versions.bump(organisation_id)
    if opened:
        transaction.on_commit(lambda: _notify_opened(incident.pk))
    return incident


def note_success(*, record: TrackedRecord) -> None:
    """The record succeeded: it leaves its incidents, which resolve once empty."""
    content_type = ContentType.objects.get_for_model(record)
    with transaction.atomic():
        if _leave(content_type=content_type, object_id=record.pk, now=timezone.now()):
            versions.bump(record.organisation_id)


def _leave(*, content_type: ContentType, object_id: int, now, staying: int | None = None) -> int:
    memberships = IncidentRecord.objects.filter(
        content_type=content_type,
        object_id=object_id,
        left_at__isnull=True,
        incident__resolved_at__isnull=True,
    )
    if staying is not None:
        memberships = memberships.exclude(incident_id=staying)
    left = list(memberships.values_list("pk", "incident_id"))
    if not left:
        return 0
    IncidentRecord.objects.filter(pk__in=[pk for pk, _ in left]).update(left_at=now)
    incident_ids = [incident_id for _, incident_id in left]
    for incident_id in incident_ids:
        Incident.objects.filter(pk=incident_id).update(affected=F("affected") - 1)
    # An incident whose records all succeeded or moved on is over.
    Incident.objects.filter(pk__in=incident_ids, resolved_at__isnull=True, affected__lte=0).update(
        resolved_at=now
    )
    return len(left)


def resolve_service_incidents(*, organisation_id: int, service: str) -> int:
    """The service answers again: its connectivity incidents are over."""
    from activity.models import Cause

    now = timezone.now()
    with transaction.atomic():
        ids = list(
            Incident.objects.open()
            .filter(organisation_id=organisation_id, cause=Cause.CONNECTIVITY, service=service)
            .values_list("pk", flat=True)
        )
        if not ids:
            return 0
        Incident.objects.filter(pk__in=ids).update(resolved_at=now)
        IncidentRecord.objects.filter(incident_id__in=ids, left_at__isnull=True).update(left_at=now)
        versions.bump(organisation_id)
    return len(ids)


@transaction.atomic
def acknowledge_incident(*, incident: Incident, user: User) -> bool:
    """Someone is on it: the incident stays listed, without urging anyone else."""
    updated = Incident.objects.filter(
        pk=incident.pk, acknowledged_at__isnull=True, resolved_at__isnull=True
    ).update(acknowledged_at=timezone.now(), acknowledged_by=user)
    if updated:
        versions.bump(incident.organisation_id)
    return bool(updated)


@transaction.atomic
def resolve_incident(*, incident: Incident, user: User) -> bool:
    """Closed by hand; failures of the same kind that come later open a new incident."""
    now = timezone.now()
    updated = Incident.objects.filter(pk=incident.pk, resolved_at__isnull=True).update(
        resolved_at=now, resolved_by=user
    )
    if updated:
        IncidentRecord.objects.filter(incident=incident, left_at__isnull=True).update(left_at=now)
        versions.bump(incident.organisation_id)
    return bool(updated)


def open_incidents_for(organisation: Organisation | int | None):
    """The open incidents an organisation sees (its own and the platform's), the most
    severe first, then the newest."""
    organisation_id = organisation.pk if isinstance(organisation, Organisation) else organisation
    rank = Case(
        When(severity=Severity.CRITICAL, then=Value(0)),
        When(severity=Severity.ERROR, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    return (
        Incident.objects.open()
        .visible_to(organisation_id)
        .annotate(rank=rank)
        .order_by("rank", "-opened_at", "-id")
        .select_related("acknowledged_by")
        .prefetch_related(
            Prefetch(
                "members",
                queryset=IncidentRecord.objects.filter(left_at__isnull=True).order_by(
                    "-joined_at", "-id"
                )[:RECORDS_SHOWN],
                to_attr="latest_records",
            )
        )
    )


def bar_summary(organisation_id: int) -> dict[str, object]:
    """What the alert bar shows: open incidents by severity, and the first ones."""
    incidents = list(open_incidents_for(organisation_id)[: DRAWER_SIZE + 1])
    if len(incidents) <= DRAWER_SIZE:
        counts = {s: 0 for s in Severity.values}
        for incident in incidents:
            counts[incident.severity] += 1
    else:
        counts = {s: 0 for s in Severity.values} | dict(
            Incident.objects.open()
            .visible_to(organisation_id)
            .order_by()
            .values_list("severity")
            .annotate(n=Count("id"))
            .values_list("severity", "n")
        )
    total = sum(counts.values())
    return {
        "total": total,
        "by_severity": [(s, Severity(s).label, counts[s]) for s in Severity.values if counts[s]],
        "incidents": incidents[:DRAWER_SIZE],
        "more": total - min(len(incidents), DRAWER_SIZE),
    }


def _notify_opened(incident_id: int) -> None:
    from django.conf import settings

    from commbilling.celery import publish

    if not settings.INCIDENT_EMAILS:
        return
    try:
        publish("incidents.notify_admins", args=[incident_id])
    except Exception:  # the notice is optional: never let it break the automation
        logger.exception("Could not queue the notice of incident %s", incident_id)
