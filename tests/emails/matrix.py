from tests.matrix import ACCOUNTANT_PAGE, Row

RECORD = {"anonymous": "login", "accountant": "ok", "support": 403, "admin": "ok"}
# Disabled without ANYMAIL["WEBHOOK_SECRET"] (the test settings): 404 for everyone.
# With a secret, anymail answers 400 to a request without the right basic auth
# (tests/emails/test_webhook.py).
WEBHOOK = {"anonymous": 404, "accountant": 404, "support": 404, "admin": 404}


def _email(ctx):
    from emails.models import EmailMessage

    message = EmailMessage.objects.create(
        organisation=ctx.organisation,
        subject="Facture",
        template="invoice",
        message_id=f"<matrix-{EmailMessage.objects.count()}@example.com>",
        recipients=["client@example.com"],
        recipient="client@example.com",
        body_html="<p>Bonjour</p>",
    )
    return {"pk": message.pk}


def _generated_invoice(ctx):
    from tests.emails.helpers import generated_invoice

    return {"pk": generated_invoice(ctx.organisation).pk}


MATRIX = [
    Row("emails:list", ACCOUNTANT_PAGE),
    Row("emails:detail", RECORD, make=_email),
    Row("emails:html", RECORD, make=_email),
    Row("emails:send_invoice", RECORD, method="post", make=_generated_invoice),
    Row(
        "emails:tracking_webhook",
        WEBHOOK,
        method="post",
        make=lambda ctx: {"esp": "postmark"},
    ),
]
