from collections import Counter
from datetime import timedelta
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db.models import F, Prefetch
from django.http import FileResponse, Http404, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.decorators import accountant_required, support_required
from activity import processes
from activity.models import ActivityLog
from commbilling.http import INVALID_FORM_STATUS, AuthenticatedHttpRequest, OrganisationHttpRequest

from . import services
from .calendar import business_time_between, get_calendar
from .forms import NoteForm, QueueFilterForm, ReplyForm, StatusForm, SupportReplyForm, TicketForm
from .models import Ticket, TicketAttachment, shown_context


def staff_required(view):
    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_staff:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _can_work_queue(user) -> bool:
    return user.has_perm("accounts.work_support_queue")


# --- Fetch helpers ---------------------------------------------------------------------


def _tickets_for_requester(request: OrganisationHttpRequest):
    """An accountant sees the tickets they opened; an administrator, their organisation's."""
    tickets = Ticket.objects.for_organisation(request.organisation)
    if not _can_work_queue(request.user):
        tickets = tickets.filter(requester=request.user)
    return tickets


def _get_ticket_for_user(request: OrganisationHttpRequest, pk: int) -> Ticket:
    return get_object_or_404(_tickets_for_requester(request).select_related("requester"), pk=pk)


def _get_ticket_for_staff(request: AuthenticatedHttpRequest, pk: int) -> Ticket:
    """Support staff reach every ticket; anyone else gets 404 for a ticket outside their
    organisation and 403 for one inside it."""
    if _can_work_queue(request.user):
        return get_object_or_404(
            Ticket.objects.select_related("organisation", "requester", "assignee"), pk=pk
        )
    get_object_or_404(Ticket.objects.for_organisation(request.user.organisation), pk=pk)
    raise PermissionDenied


def _as_id(value: str | None) -> int | None:
    if not value:
        return None
    try:
        return int(value)
    except ValueError as exc:
        raise Http404 from exc


def _get_help_target_for_user(request: OrganisationHttpRequest, params: QueryDict):
    """The failed record and log entry a help button points at, in the user's organisation."""
    process = params.get("process", "")
    record_id, log_id = _as_id(params.get("record")), _as_id(params.get("log"))
    entry = record = None
    if log_id is not None:
        entry = get_object_or_404(
            ActivityLog.objects.for_organisation(request.organisation), pk=log_id
        )
        if process and process != entry.process:
            raise Http404
        process = entry.process
    if record_id is not None:
        try:
            model = processes.get(process).model
        except KeyError as exc:
            raise Http404 from exc
        records = model.tracked().for_organisation(request.organisation)
        record = get_object_or_404(records, pk=record_id)
        if entry is not None and (
            entry.content_type_id != ContentType.objects.get_for_model(model).pk
            or entry.object_id != record.pk
        ):
            raise Http404
        if entry is None:
            entry = ActivityLog.objects.for_record(record).filter(event="failed").first()
    elif entry is not None:
        record = entry.record
    if process and record is None and entry is None:
        raise Http404
    return process, record, entry


# --- Accountant side ---------------------------------------------------------------------


@require_GET
@login_required
def index(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    if not (user.has_perm("accounts.use_billing") and user.organisation_id):
        if _can_work_queue(user):
            return redirect("support:queue")
        raise PermissionDenied
    return _my_tickets(request)


@accountant_required
def _my_tickets(request: OrganisationHttpRequest) -> TemplateResponse:
    tickets = _tickets_for_requester(request).select_related("requester").order_by("-created_at")
    return TemplateResponse(
        request,
        "support/index.html",
        {
            "tickets": tickets[:200],
            "form": TicketForm(),
            "now": timezone.now(),
            "calendar": get_calendar(),
            "deadline_hours": f"{settings.SUPPORT_DEADLINE_HOURS:g}",
        },
    )


@require_http_methods(["GET", "POST"])
@accountant_required
def new_ticket(request: OrganisationHttpRequest) -> HttpResponse:
    # The help context travels in the query string, on the GET and on the form's POST.
    process, record, entry = _get_help_target_for_user(request, request.GET)
    context = (
        services.describe_failure(process=process, record=record, entry=entry) if process else {}
    )
    initial = {}
    if context:
        initial = {
            "subject": _("%(process)s failed: %(record)s")
            % {"process": context["process_label"], "record": context.get("record_label", "")},
            "category": services.category_for(process),
            "priority": Ticket.Priority.HIGH,
        }
    form = TicketForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        ticket = services.open_ticket(
            organisation=request.organisation,
            requester=request.user,
            subject=form.cleaned_data["subject"],
            category=form.cleaned_data["category"],
            description=form.cleaned_data["description"],
            priority=form.cleaned_data["priority"],
            files=form.cleaned_data["attachments"],
            record=record,
            entry=entry,
            context=context,
        )
        messages.success(request, _("Ticket opened: support will answer before the deadline."))
        return redirect(ticket)
    return TemplateResponse(
        request, "support/new.html", {"form": form, "help_context": shown_context(context)}
    )


def _ticket_page(request: OrganisationHttpRequest, ticket: Ticket, form: ReplyForm, template: str):
    public = ticket.messages.filter(is_internal=False).select_related("author")
    return TemplateResponse(
        request,
        template,
        {
            "ticket": ticket,
            "thread": public.prefetch_related("attachments"),
            "opening_attachments": ticket.attachments.filter(message__isnull=True),
            "form": form,
            "now": timezone.now(),
        },
    )


@require_GET
@accountant_required
def ticket_detail(request: OrganisationHttpRequest, pk: int) -> TemplateResponse:
    ticket = _get_ticket_for_user(request, pk)
    return _ticket_page(request, ticket, ReplyForm(), "support/ticket.html")


@require_POST
@accountant_required
def reply(request: OrganisationHttpRequest, pk: int) -> HttpResponse:
    ticket = _get_ticket_for_user(request, pk)
    form = ReplyForm(request.POST, request.FILES)
    if form.is_valid():
        services.add_customer_reply(
            ticket=ticket,
            author=request.user,
            body=form.cleaned_data["body"],
            files=form.cleaned_data["attachments"],
        )
        ticket.refresh_from_db()
        if not request.htmx:
            messages.success(request, _("Reply sent."))
            return redirect(ticket)
        form = ReplyForm()
    template = "support/ticket.html#conversation" if request.htmx else "support/ticket.html"
    response = _ticket_page(request, ticket, form, template)
    if form.errors:
        response.status_code = INVALID_FORM_STATUS
    return response


@require_GET
@login_required
def attachment(request: AuthenticatedHttpRequest, pk: int) -> FileResponse:
    """Attachments are private files: only the requester's side and support staff."""
    attachments = TicketAttachment.objects.select_related("ticket")
    if not _can_work_queue(request.user):
        if not request.user.has_perm("accounts.use_billing") or not request.user.organisation_id:
            raise PermissionDenied
        attachments = attachments.filter(
            ticket__organisation_id=request.user.organisation_id,
            ticket__requester=request.user,
        )
    item = get_object_or_404(attachments, pk=pk)
    inline = item.content_type in {"application/pdf", "image/png", "image/jpeg"}
    response = FileResponse(
        item.file.open("rb"),
        as_attachment=not inline,
        filename=item.name,
        content_type=item.content_type,
    )
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


# --- Support staff side ----------------------------------------------------------------------


@require_GET
@support_required
def queue(request: AuthenticatedHttpRequest) -> TemplateResponse:
    now = timezone.now()
    form = QueueFilterForm(request.GET)
    tickets = form.filter(
        Ticket.objects.select_related("organisation", "requester", "assignee"),
        user=request.user,
        now=now,
    ).order_by(F("due_at").asc(nulls_last=True), "created_at")[:300]
    template = "support/queue.html#results" if request.htmx else "support/queue.html"
    return TemplateResponse(request, template, {"form": form, "tickets": tickets, "now": now})


def _workspace(request: AuthenticatedHttpRequest, ticket: Ticket, **forms) -> TemplateResponse:
    ticket.refresh_from_db()
    record = ticket.record
    history = ActivityLog.objects.for_record(record)[:20] if record is not None else []
    context = {
        "ticket": ticket,
        "thread": ticket.messages.select_related("author").prefetch_related(
            Prefetch("attachments", queryset=TicketAttachment.objects.order_by("id"))
        ),
        "opening_attachments": ticket.attachments.filter(message__isnull=True),
        "record": record,
        "history": history,
        "reply_form": forms.get("reply_form") or SupportReplyForm(),
        "note_form": forms.get("note_form") or NoteForm(),
        "status_form": forms.get("status_form") or StatusForm(initial={"status": ticket.status}),
        "now": timezone.now(),
    }
    template = "support/manage.html#workspace" if request.htmx else "support/manage.html"
    return TemplateResponse(request, template, context)


@require_GET
@login_required
def manage(request: AuthenticatedHttpRequest, pk: int) -> TemplateResponse:
    return _workspace(request, _get_ticket_for_staff(request, pk))


def _after_action(request: AuthenticatedHttpRequest, ticket: Ticket, **forms) -> HttpResponse:
    # htmx swaps the workspace in place; a plain form post redirects unless it has errors.
    if request.htmx or forms:
        response = _workspace(request, ticket, **forms)
        if any(form.errors for form in forms.values()):
            response.status_code = INVALID_FORM_STATUS
        return response
    return redirect(ticket.get_staff_url())


@require_POST
@login_required
def assign(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    ticket = _get_ticket_for_staff(request, pk)
    services.assign_ticket(ticket=ticket, assignee=request.user)
    return _after_action(request, ticket)


@require_POST
@login_required
def set_status(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    ticket = _get_ticket_for_staff(request, pk)
    form = StatusForm(request.POST)
    if not form.is_valid():
        return _after_action(request, ticket, status_form=form)
    services.change_status(ticket=ticket, status=form.cleaned_data["status"])
    return _after_action(request, ticket)


@require_POST
@login_required
def staff_message(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    ticket = _get_ticket_for_staff(request, pk)
    internal = request.POST.get("kind") == "note"
    form = NoteForm(request.POST) if internal else SupportReplyForm(request.POST)
    if not form.is_valid():
        return _after_action(request, ticket, **{"note_form" if internal else "reply_form": form})
    services.add_support_message(
        ticket=ticket,
        author=request.user,
        body=form.cleaned_data["body"],
        internal=internal,
        next_status="" if internal else form.cleaned_data["next_status"],
    )
    return _after_action(request, ticket)


# --- Report ------------------------------------------------------------------------------------


@require_GET
@staff_required
def report(request: AuthenticatedHttpRequest) -> TemplateResponse:
    now = timezone.now()
    since = now - timedelta(days=30)
    tickets = list(
        Ticket.objects.filter(created_at__gte=since).values(
            "category", "first_response_at", "breached_at", "status", "due_at", "created_at"
        )
    )
    labels = dict(Ticket.Category.choices)
    per_category = Counter(t["category"] for t in tickets)
    # Compliance: of the tickets settled either way (answered, or past their deadline),
    # the share answered without ever missing the deadline.
    answered_in_time = sum(
        1 for t in tickets if t["first_response_at"] and t["breached_at"] is None
    )
    breached = sum(1 for t in tickets if t["breached_at"] is not None)
    decided = sum(1 for t in tickets if t["first_response_at"] or t["breached_at"])
    calendar = get_calendar()
    response_hours = [
        business_time_between(t["created_at"], t["first_response_at"], calendar).total_seconds()
        / 3600
        for t in tickets
        if t["first_response_at"]
    ]
    return TemplateResponse(
        request,
        "support/report.html",
        {
            "since": since,
            "total": len(tickets),
            "rows": [
                {"label": labels[c], "count": per_category.get(c, 0)}
                for c in Ticket.Category.values
            ],
            "answered_in_time": answered_in_time,
            "breached": breached,
            "decided": decided,
            "compliance": round(100 * answered_in_time / decided, 1) if decided else None,
            "median_response_hours": (
                round(sorted(response_hours)[len(response_hours) // 2], 1)
                if response_hours
                else None
            ),
        },
    )
