from pathlib import PurePath

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from .models import Ticket

# Extension → (content type, sniffing test). Both must agree for a file to be accepted.
ALLOWED_TYPES = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "txt": "text/plain",
    "csv": "text/csv",
}
SIGNATURES = {
    "application/pdf": [b"%PDF-"],
    "image/png": [b"\x89PNG\r\n\x1a\n"],
    "image/jpeg": [b"\xff\xd8\xff"],
}
MAX_FILES = 5


def sniff(head: bytes, declared: str) -> bool:
    """Does the start of the file look like ``declared``?"""
    if declared in SIGNATURES:
        return any(head.startswith(sig) for sig in SIGNATURES[declared])
    # Text: no NUL byte and no binary signature we know of (an executable, a zip, …).
    binary = (b"MZ", b"\x7fELF", b"PK\x03\x04", b"%PDF-", b"\x89PNG", b"\xff\xd8\xff", b"GIF8")
    if b"\x00" in head or head.startswith(binary):
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the end of the sample is still text.
        if exc.start < len(head) - 4:
            try:
                head.decode("cp1252")
            except UnicodeDecodeError:
                return False
    return True


def validate_attachment(upload: UploadedFile) -> str:
    """Return the checked content type, or raise ValidationError."""
    name = upload.name or ""
    extension = PurePath(name).suffix.lower().lstrip(".")
    if extension not in ALLOWED_TYPES:
        raise forms.ValidationError(
            _("%(name)s: only PDF, PNG, JPEG, TXT and CSV files are accepted."),
            params={"name": name},
        )
    limit = settings.SUPPORT_ATTACHMENT_MAX_BYTES
    if (upload.size or 0) > limit:
        raise forms.ValidationError(
            _("%(name)s is larger than %(limit)s."),
            params={"name": name, "limit": filesizeformat(limit)},
        )
    declared = ALLOWED_TYPES[extension]
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    if not sniff(head, declared):
        raise forms.ValidationError(
            _("%(name)s does not look like a .%(ext)s file."),
            params={"name": name, "ext": extension},
        )
    return declared


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class AttachmentsField(forms.FileField):
    widget = MultipleFileInput

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)
        self.widget.attrs["accept"] = ".pdf,.png,.jpg,.jpeg,.txt,.csv"

    def clean(self, data, initial=None) -> list[UploadedFile]:
        uploads = data if isinstance(data, list | tuple) else ([data] if data else [])
        if len(uploads) > MAX_FILES:
            raise forms.ValidationError(
                _("At most %(n)s files per message."), params={"n": MAX_FILES}
            )
        errors = []
        for upload in uploads:
            try:
                upload.sniffed_type = validate_attachment(upload)
            except forms.ValidationError as exc:
                errors.extend(exc.error_list)
        if errors:
            raise forms.ValidationError(errors)
        return list(uploads)


ATTACHMENT_HELP = _("PDF, PNG, JPEG, TXT or CSV; 5 MB at most per file.")


class TicketForm(forms.ModelForm):
    attachments = AttachmentsField(label=_("Attachments"), help_text=ATTACHMENT_HELP)

    class Meta:
        model = Ticket
        fields = ["subject", "category", "priority", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 6})}


class ReplyForm(forms.Form):
    body = forms.CharField(label=_("Your reply"), widget=forms.Textarea(attrs={"rows": 4}))
    attachments = AttachmentsField(label=_("Attachments"), help_text=ATTACHMENT_HELP)


class SupportReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Reply to the customer"), widget=forms.Textarea(attrs={"rows": 4})
    )
    next_status = forms.ChoiceField(
        label=_("Then"),
        choices=[
            (Ticket.Status.WAITING, _("Wait for the customer (pauses the deadline)")),
            (Ticket.Status.IN_PROGRESS, _("Keep in progress")),
            (Ticket.Status.RESOLVED, _("Mark as resolved")),
        ],
        initial=Ticket.Status.WAITING,
    )


class NoteForm(forms.Form):
    body = forms.CharField(
        label=_("Internal note (never shown to the customer)"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Ticket.Status.choices)


class QueueFilterForm(forms.Form):
    DEADLINE_CHOICES = [("", _("All")), ("breached", _("Breached")), ("at_risk", _("At risk"))]

    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Active")), ("all", _("All")), *Ticket.Status.choices],
    )
    category = forms.ChoiceField(
        label=_("Category"),
        required=False,
        choices=[("", _("All")), *Ticket.Category.choices],
    )
    assignee = forms.ChoiceField(
        label=_("Assignee"),
        required=False,
        choices=[("", _("Anyone")), ("me", _("Me")), ("none", _("Unassigned"))],
    )
    deadline = forms.ChoiceField(label=_("Deadline"), required=False, choices=DEADLINE_CHOICES)

    def filter(self, tickets, *, user, now):
        if not self.is_valid():
            return tickets.exclude(status__in=[Ticket.Status.RESOLVED, Ticket.Status.CLOSED])
        data = self.cleaned_data
        if data["status"] == "":
            tickets = tickets.exclude(status__in=[Ticket.Status.RESOLVED, Ticket.Status.CLOSED])
        elif data["status"] != "all":
            tickets = tickets.filter(status=data["status"])
        if data["category"]:
            tickets = tickets.filter(category=data["category"])
        if data["assignee"] == "me":
            tickets = tickets.filter(assignee=user)
        elif data["assignee"] == "none":
            tickets = tickets.filter(assignee__isnull=True)
        if data["deadline"] == "breached":
            tickets = tickets.breached(now)
        elif data["deadline"] == "at_risk":
            tickets = tickets.at_risk(now)
        return tickets
