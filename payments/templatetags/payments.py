from django import template

from ..forms import PaymentForm

register = template.Library()


@register.inclusion_tag("payments/_record_form.html", takes_context=True)
def record_payment_form(context, invoice) -> dict[str, object]:
    """The payment form on an invoice's page: a template tag, so that the invoices app
    does not import the payments app above it (tests/commbilling/test_layering.py)."""
    return {
        "invoice": invoice,
        "payment_form": PaymentForm(),
        "csrf_token": context.get("csrf_token"),
    }
