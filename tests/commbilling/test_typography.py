"""French typography: a no-break space before : ; ! ? and inside « », elision, "Aucun" for zero."""

import gettext
import re

import pytest
from django.conf import settings
from django.template import Context, Template
from django.utils import translation

from commbilling import l10n
from emails.rendering import render
from emails.services import invoice_email_context
from tests.factories import InvoiceFactory

NBSP = "\u00a0"


def _french_catalogue() -> dict[str, str]:
    path = settings.BASE_DIR / "locale" / "fr" / "LC_MESSAGES" / "django.mo"
    with path.open("rb") as mo:
        catalogue = gettext.GNUTranslations(mo)._catalog  # type: ignore[attr-defined]  # no public API
        return {k: v for k, v in catalogue.items() if k}


def test_every_french_message_has_a_no_break_space_before_double_punctuation():
    wrong = [
        text
        for text in _french_catalogue().values()
        # A plain space before : ; ! ? », after «, or none at all after a word.
        if re.search(r" [:;!?»]|« |[^\W\d_][:;!?](\s|$)", text)
    ]

    assert not wrong, wrong[:10]


@pytest.mark.parametrize(("lang", "expected"), [("fr", f"Payée{NBSP}: 1"), ("en", "Paid: 1")])
def test_a_label_takes_the_colon_of_its_language(lang, expected):
    with translation.override(lang):
        html = Template('{% load i18n %}{% translate "Paid" %}{% colon %} 1').render(Context())

    assert html == expected


@pytest.mark.parametrize(
    ("name", "elides"),
    [("Atelier Dupont", True), ("Éditions Martin", True), ("  Union", True),
     ("Brasserie Martin", False), ("Hôtel Dieu", False), ("", False)],
)  # fmt: skip
def test_vowel_initial_names_are_where_french_elides(name, elides):
    assert l10n.vowel_initial(name) is elides


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("company", "lang", "expected"),
    [
        ("Atelier Dupont SARL", "fr", "Facture F-2026-000001 d’Atelier Dupont SARL"),  # noqa: RUF001
        ("Brasserie Martin SAS", "fr", "Facture F-2026-000001 de Brasserie Martin SAS"),
        ("Atelier Dupont SARL", "en", "Invoice F-2026-000001 from Atelier Dupont SARL"),
    ],
)
def test_the_invoice_subject_elides_de_before_a_vowel(company, lang, expected):
    invoice = InvoiceFactory(number="F-2026-000001")

    context = {**invoice_email_context(invoice), "company": company}

    rendered = render("invoice", context, language=lang)

    assert rendered.subject == expected


@pytest.mark.django_db
def test_rerunning_nothing_says_aucune_not_zero(settings, accountant_client, organisation):
    from tests.factories import CustomerFactory

    settings.LANGUAGE_CODE = "fr"
    customer = CustomerFactory(organisation=organisation)

    response = accountant_client.post(f"/invoices/customers/{customer.pk}/rerun/", follow=True)

    html = response.content.decode().replace("&#x27;", "'")
    assert "Aucune tâche en échec à remettre en file" in html
    assert "0 tâche" not in html


LONG = (
    "Génération de facture a échoué pour F-1. Données manquantes ou invalides : SIREN "
    "(manquant). Complétez ces champs, puis cliquez sur Régénérer."
)


@pytest.mark.parametrize(
    ("limit", "expected"),
    [
        (500, LONG),
        (100, "Génération de facture a échoué pour F-1. Données manquantes ou invalides : SIREN "
              "(manquant)."),
        (10, "Génération de facture a échoué pour F-1."),  # the first sentence stays whole
    ],
)  # fmt: skip
def test_a_long_message_is_shortened_by_whole_sentences(limit, expected):
    assert l10n.shorten_by_sentence(LONG, limit) == expected


def test_the_rest_of_a_shortened_message_is_one_click_away():
    html = Template("{% shorten text 60 %}").render(Context({"text": LONG}))

    assert html.startswith(
        '<details class="more"><summary>Génération de facture a échoué pour F-1.'
    )
    assert "</summary>Données manquantes ou invalides : SIREN (manquant). Complétez" in html
    assert Template("{% shorten text 600 %}").render(Context({"text": LONG})) == LONG
