from tests.matrix import SUPPORT_PAGE, Row

# The accountant side: their own tickets. Support staff work from the queue (403 here).
OWN = {"anonymous": "login", "accountant": "ok", "support": 403, "admin": "ok"}
# Staff pages about one ticket: an accountant of the ticket's organisation gets 403,
# one of another organisation 404 (the ticket's existence is not disclosed).
STAFF_RECORD = {"anonymous": "login", "accountant": 403, "support": "ok", "admin": "ok"}
ATTACHMENT = {"anonymous": "login", "accountant": "ok", "support": "ok", "admin": "ok"}
STAFF_ONLY = {"anonymous": "login", "accountant": 403, "support": 403, "admin": "ok"}
INDEX = {"anonymous": "login", "accountant": "ok", "support": "ok", "admin": "ok"}


def _ticket(ctx):
    from tests.support.helpers import make_ticket

    return {"pk": make_ticket(requester=ctx.accountant).pk}


def _attachment(ctx):
    from django.core.files.base import ContentFile

    from support.models import TicketAttachment
    from tests.support.helpers import make_ticket

    ticket = make_ticket(requester=ctx.accountant)
    item = TicketAttachment(
        ticket=ticket,
        name="notes.txt",
        content_type="text/plain",
        size=5,
        uploaded_by=ctx.accountant,
    )
    item.file.save("notes.txt", ContentFile(b"hello"))
    return {"pk": item.pk}


MATRIX = [
    Row("support:index", INDEX),
    Row("support:new", OWN),
    Row("support:new", OWN, method="post", data={"subject": ""}),
    Row("support:ticket", OWN, make=_ticket),
    Row("support:reply", OWN, method="post", make=_ticket, data={"body": "More details"}),
    Row("support:attachment", ATTACHMENT, make=_attachment),
    Row("support:queue", SUPPORT_PAGE),
    Row("support:manage", STAFF_RECORD, make=_ticket),
    Row("support:assign", STAFF_RECORD, method="post", make=_ticket),
    Row(
        "support:set_status",
        STAFF_RECORD,
        method="post",
        make=_ticket,
        data={"status": "in_progress"},
    ),
    Row(
        "support:message",
        STAFF_RECORD,
        method="post",
        make=_ticket,
        data={"kind": "note", "body": "Checked"},
    ),
    Row("support:report", STAFF_ONLY),
]
