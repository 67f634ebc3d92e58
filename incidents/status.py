"""The system status panel: what automation depends on, and whether it answers."""

import time
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import Organisation
from commbilling import l10n

from . import heartbeats
from .models import Circuit, Heartbeat
from .phrasing import service_label

# The services an organisation's automation talks to, on the panel in this order.
PANEL_SERVICES = ("smtp", "provider", "platform")


@dataclass
class Row:
    name: str
    ok: bool
    state: str
    since: object = None
    detail: str = ""


def _milliseconds(elapsed: float) -> str:
    return _("%(ms)s ms") % {"ms": l10n.format_number(Decimal(f"{elapsed:.1f}"), 1)}


def _database() -> Row:
    started = time.monotonic()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:
        return Row(_("Database"), False, _("Not answering"), detail=str(exc)[:200])
    elapsed = (time.monotonic() - started) * 1000
    return Row(_("Database"), True, _("Answering"), detail=_milliseconds(elapsed))


def _broker() -> Row:
    from commbilling.celery import app

    started = time.monotonic()
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:
        return Row(_("Message broker"), False, _("Not answering"), detail=str(exc)[:200])
    elapsed = (time.monotonic() - started) * 1000
    return Row(_("Message broker"), True, _("Answering"), detail=_milliseconds(elapsed))


def _heartbeats() -> list[Row]:
    now = timezone.now()
    rows = []
    beats = list(Heartbeat.objects.all())
    for kind, label in Heartbeat.Kind.choices:
        found = [b for b in beats if b.kind == kind]
        if not found:
            rows.append(Row(str(label), False, _("No heartbeat received yet")))
        for beat in found:
            name = f"{label} {beat.name}"
            if beat.stopped_at is not None:
                rows.append(Row(name, True, _("Stopped cleanly"), since=beat.stopped_at))
            elif beat.last_seen_at < now - heartbeats.stale_after():
                rows.append(Row(name, False, _("Silent"), since=beat.last_seen_at))
            else:
                rows.append(Row(name, True, _("Alive"), since=beat.last_seen_at))
    return rows


def _services(organisation: Organisation) -> list[Row]:
    circuits = {c.service: c for c in Circuit.objects.for_organisation(organisation)}
    rows = []
    for service in PANEL_SERVICES:
        circuit = circuits.get(service)
        label = service_label(service)
        if circuit is None:
            rows.append(Row(label, True, _("No failure seen")))
        elif circuit.state == Circuit.State.OPEN:
            waiting = circuit.waits.count()
            rows.append(
                Row(
                    label,
                    False,
                    ngettext(
                        "Not answering — %(n)s task waiting",
                        "Not answering — %(n)s tasks waiting",
                        waiting,
                    )
                    % {"n": l10n.format_number(waiting)},
                    since=circuit.opened_at,
                    detail=circuit.last_probe_error or circuit.last_error,
                )
            )
        else:
            rows.append(Row(label, True, _("Answering"), since=circuit.closed_at))
    return rows


def system_status(organisation: Organisation) -> dict[str, list[Row]]:
    return {
        "processes": _heartbeats(),
        "infrastructure": [_broker(), _database()],
        "services": _services(organisation),
    }
