from tests.incidents.helpers import fail_invoice
from tests.matrix import ACCOUNTANT_PAGE, Row


def _incident(ctx):
    from incidents.models import Incident

    fail_invoice(ctx.organisation)
    return {"pk": Incident.objects.get(organisation=ctx.organisation).pk}


RECORD = {"anonymous": "login", "accountant": "ok", "support": 403, "admin": "ok"}

MATRIX = [
    Row("incidents:list", ACCOUNTANT_PAGE),
    Row("incidents:bar", ACCOUNTANT_PAGE),
    Row("incidents:status", ACCOUNTANT_PAGE),
    Row("incidents:acknowledge", RECORD, method="post", make=_incident),
    Row("incidents:resolve", RECORD, method="post", make=_incident),
]
