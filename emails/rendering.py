"""E-mails as named template sets: templates/emails/<name>-subject.txt, -body.txt, -body.html.

One function renders all three in the recipient's language (after healthchecks'
hc/lib/emails.py).
"""

from dataclasses import dataclass

from django.template.loader import render_to_string
from django.utils import translation


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def render(name: str, context: dict[str, object], *, language: str) -> Rendered:
    with translation.override(language):
        # Plain text through the engine that does not HTML-escape (settings.TEMPLATES).
        subject = render_to_string(f"emails/{name}-subject.txt", context, using="text")
        text = render_to_string(f"emails/{name}-body.txt", context, using="text")
        html = render_to_string(f"emails/{name}-body.html", context)
    # A subject is one line: template newlines must not become header folding.
    return Rendered(subject=" ".join(subject.split())[:300], text=text, html=html)
