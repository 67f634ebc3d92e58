"""E-mails as named template sets: templates/emails/<name>-subject.txt, -body.txt, -body.html.

One function renders all three in the recipient's language (after healthchecks'
hc/lib/emails.py).
"""

from dataclasses import dataclass

from django.template import Context
from django.template.loader import get_template, render_to_string
from django.utils import translation


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def render(name: str, context: dict[str, object], *, language: str) -> Rendered:
    with translation.override(language):
        subject = render_plain_text(f"emails/{name}-subject.txt", context)
        text = render_plain_text(f"emails/{name}-body.txt", context)
        html = render_to_string(f"emails/{name}-body.html", context)
    # A subject is one line: template newlines must not become header folding.
    return Rendered(subject=" ".join(subject.split())[:300], text=text, html=html)


def render_plain_text(template_name: str, context: dict[str, object]) -> str:
    """A subject or text body is plain text: "L'Atelier & Fils", not "L&#x27;Atelier &amp; Fils"."""
    template = get_template(template_name).template  # the engine's Template, to pass a Context
    return template.render(Context(context, autoescape=False))
