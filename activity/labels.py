"""Records named by identity: log entries and alerts keep a record's content type and
id; what a reader sees is the record's current name, in their language."""

import re
from collections import defaultdict
from collections.abc import Sequence

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.utils import translation

from accounts.models import Organisation

from . import processes
from .models import ActivityLog, Alert, TrackedQuerySet, TrackedRecord


def with_current_labels[Row: (ActivityLog, Alert)](rows: Sequence[Row]) -> Sequence[Row]:
    """Give each row its record's current label (``row.label``), one query per model."""
    wanted: dict[int, set[int]] = defaultdict(set)
    for row in rows:
        wanted[row.content_type_id].add(row.object_id)
    found: dict[tuple[int, int], str] = {}
    for content_type_id, ids in wanted.items():
        model = ContentType.objects.get_for_id(content_type_id).model_class()
        if model is None:
            continue
        queryset = model._default_manager.all()
        if isinstance(queryset, TrackedQuerySet):
            queryset = queryset.for_labels()
        for pk, record in queryset.in_bulk(ids).items():
            found[(content_type_id, pk)] = str(record)
    for row in rows:
        label = found.get((row.content_type_id, row.object_id))
        if label:
            row.__dict__["current_label"] = label
    return rows


def record_filter(organisation: Organisation, text: str) -> Q:
    """Log entries about the records ``text`` names: a number the record carries, its
    id ("12", "#12"), or any of its names in any of the site's languages ("Draft #12",
    "Brouillon n° 12", "F-2026-000014"), whatever it was called when the entry was
    written."""
    text = text.strip()
    condition = Q(record_label=text)
    # Records once written under that label: all of their entries.
    for content_type_id, object_id in (
        ActivityLog.objects.for_organisation(organisation)
        .filter(record_label=text)
        .values_list("content_type_id", "object_id")
        .distinct()[:200]
    ):
        condition |= Q(content_type_id=content_type_id, object_id=object_id)
    digits = re.search(r"(\d+)\s*$", text)
    for process in processes.all_processes():
        records = process.model.tracked().for_organisation(organisation)
        ids = set(records.matching(text).values_list("pk", flat=True)[:200])
        if digits:
            candidate = records.for_labels().filter(pk=int(digits[1])).first()
            if candidate is not None and text in _names(candidate):
                ids.add(candidate.pk)
        if ids:
            content_type = ContentType.objects.get_for_model(process.model)
            condition |= Q(content_type=content_type, object_id__in=ids)
    return condition


def _names(record: TrackedRecord) -> set[str]:
    names = {str(record.pk), f"#{record.pk}"}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            names.update(record.names())
    return names
