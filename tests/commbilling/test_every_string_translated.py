"""No text reaches a page without going through the French catalogue.

Every page of the permission matrix (and the admin) is rendered, as each role, with a
pseudo-catalogue: the French catalogue in which every translated letter carries a mark
(U+0332). Placeholders are left as they are, so that what a translation interpolates is
checked too. On the rendered page, any letter without the mark either comes from the
records shown (names, numbers, what users typed: the database's own text) or bypassed
translation: a template string without {% translate %}, a Python string without _(), an
English text stored in the database, a msgid missing from the French catalogue.
"""

import json
import re
import uuid
from contextlib import contextmanager
from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.conf import settings
from django.db import models
from django.test import Client
from django.utils.translation import trans_real

from tests.pages import LOGGED_IN_ROLES, build_pages

MARK = "\u0332"
# Left alone inside a msgid: %(name)s, %s, {name}, HTML tags and entities.
_KEEP = re.compile(r"%(?:\([^)]*\))?[-#0 +]*\d*(?:\.\d+)?[a-zA-Z%]|\{[^{}]*\}|<[^<>]*>|&#?\w+;")
_LETTER = re.compile(r"([^\W\d_])")
# Written outside any msgid on purpose: names (the product, django-axes, language names
# in their own language for the language choice), codes and Django's primary key label.
NEUTRAL = {"CommBilling", "Axes", "FR", "EN", "Français", "English", "ID"}
# Attributes people read (or hear).
READ_ATTRIBUTES = {"title", "placeholder", "aria-label", "alt", "hx-confirm"}


def pseudo(text: str) -> str:
    parts, last = [], 0
    for match in _KEEP.finditer(text):
        parts.append(_LETTER.sub(rf"\1{MARK}", text[last : match.start()]))
        parts.append(match.group())
        last = match.end()
    parts.append(_LETTER.sub(rf"\1{MARK}", text[last:]))
    return "".join(parts)


class _PseudoCatalog:
    def __init__(self, catalog) -> None:
        self.catalog = catalog

    def get(self, key, default=None):
        value = self.catalog.get(key)
        return pseudo(value) if isinstance(value, str) else default

    def __getitem__(self, key):
        return pseudo(self.catalog[key])

    def __contains__(self, key) -> bool:
        return key in self.catalog

    def plural(self, msgid, num):
        return pseudo(self.catalog.plural(msgid, num))

    def __getattr__(self, name):
        return getattr(self.catalog, name)


@contextmanager
def pseudo_french():
    translation = trans_real.translation("fr")
    original = translation._catalog
    translation._catalog = _PseudoCatalog(original)
    try:
        yield
    finally:
        translation._catalog = original


class _Texts(HTMLParser):
    """The text a person reads on a page: text nodes and the attributes read aloud."""

    SKIP = {"script", "style", "template"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self._skipping += 1
        attributes = dict(attrs)
        if tag == "img" and "/admin/img/" in (attributes.get("src") or ""):
            # Django's own admin icons: alt="Search", alt="True" are not in its catalogue.
            attributes.pop("alt", None)
        for name, value in attributes.items():
            if value and name in READ_ATTRIBUTES:
                self.texts.append(value)
        if tag == "input" and attributes.get("type") in ("submit", "button", "reset"):
            self.texts.append(attributes.get("value") or "")

    def handle_endtag(self, tag):
        if tag in self.SKIP and self._skipping:
            self._skipping -= 1

    def handle_data(self, data):
        if not self._skipping and data.strip():
            self.texts.append(data)


def _database_texts() -> list[str]:
    """Every text stored in the database: names, numbers, what users typed, server replies."""
    texts: set[str] = set()

    def leaves(value):
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            for item in value.values():
                yield from leaves(item)
        elif isinstance(value, list):
            for item in value:
                yield from leaves(item)

    for model in apps.get_models():
        text_fields = (
            models.CharField, models.TextField, models.JSONField, models.FileField, models.UUIDField
        )  # fmt: skip
        fields = [f.attname for f in model._meta.concrete_fields if isinstance(f, text_fields)]
        if not fields:
            continue
        for row in model._default_manager.values_list(*fields):
            for value in row:
                value = str(value) if isinstance(value, uuid.UUID) else value
                texts.update(text for text in leaves(value) if len(text.strip()) > 1)
    texts.add(settings.TIME_ZONE)  # "Europe/Paris", named with the support hours
    texts.add("md5")  # the tests' password hasher, which the admin names on a user's page
    return sorted(texts, key=len, reverse=True)


def _is_json(text: str) -> bool:
    """The admin shows a record's JSON fields (structured details) as they are stored."""
    if not text.lstrip().startswith(("{", "[")):
        return False
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def _bypassed(text: str, database: list[str]) -> str:
    """What is left of ``text`` once translated letters and database texts are removed."""
    if not re.search(r"[^\W\d_](?!" + MARK + ")", text) or _is_json(text):
        return ""
    text = re.sub(r"\S*\*{6,}", " ", text)  # a masked secret (the admin's password hash)
    text = re.sub(r"…[\w-]{4}", " ", text)  # a secret's last four characters (secret_status)
    for value in database:
        if value in text:
            text = text.replace(value, " ")
    text = re.sub(r"[^\W\d_]" + MARK, "", text)
    words = [w for w in re.findall(r"[^\W\d_]+", text) if len(w) > 1 and w not in NEUTRAL]
    return " ".join(words)


@pytest.mark.django_db
def test_every_page_reads_entirely_from_the_french_catalogue(
    settings, organisation, accountant, support_user, admin_user
):
    settings.LANGUAGE_CODE = "fr"
    pages = build_pages(
        organisation=organisation,
        accountant=accountant,
        support_user=support_user,
        admin_user=admin_user,
    )
    users = {"accountant": accountant, "support": support_user, "admin": admin_user}
    database = _database_texts()
    assert {page.role for page in pages} == {"anonymous", *LOGGED_IN_ROLES}

    found: dict[str, set[str]] = {}
    with pseudo_french():
        for page in pages:
            client = Client(headers={"accept-language": "fr"})
            if page.role != "anonymous":
                client.force_login(users[page.role])
            parser = _Texts()
            parser.feed(client.get(page.url).content.decode())
            for text in parser.texts:
                if left := _bypassed(text, database):
                    shown = " ".join(text.replace(MARK, "").split())[:160]
                    found.setdefault(f"{left!r} in {shown!r}", set()).add(page.name)

    report = "\n".join(
        f"  {text}  ({', '.join(sorted(where)[:3])})" for text, where in found.items()
    )
    assert not found, f"text that bypassed the French catalogue:\n{report}"


@pytest.mark.parametrize(
    ("msgid", "expected"),
    [
        ("Invoice", f"I{MARK}n{MARK}v{MARK}o{MARK}i{MARK}c{MARK}e{MARK}"),
        ("%(n)s items", f"%(n)s i{MARK}t{MARK}e{MARK}m{MARK}s{MARK}"),
        ("<strong>{name}</strong>!", "<strong>{name}</strong>!"),
        ("à 5 %%", f"à{MARK} 5 %%"),
    ],
)
def test_the_pseudo_catalogue_marks_letters_and_keeps_placeholders(msgid, expected):
    assert pseudo(msgid) == expected


def test_a_string_outside_the_catalogue_is_found():
    with pseudo_french():
        from django.utils import translation

        with translation.override("fr"):
            translated = translation.gettext("Invoices")
            nowhere = "No such msgid anywhere"  # a variable: makemessages must not collect it
            untranslated = translation.gettext(nowhere)

    assert _bypassed(translated, []) == ""
    assert _bypassed(f"{translated} · Draft #41", []) == "Draft"
    assert _bypassed(untranslated, []) == "No such msgid anywhere"
    assert _bypassed("Atelier Test SARL", ["Atelier Test SARL"]) == ""
