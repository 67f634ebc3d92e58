"""Validators for French and EU identifiers, backed by python-stdnum and schwifty."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException
from stdnum import exceptions as stdnum_errors
from stdnum.eu import vat
from stdnum.fr import siren, siret


def validate_siren(value: str) -> None:
    try:
        siren.validate(value)
    except stdnum_errors.ValidationError as exc:
        raise ValidationError(
            _("“%(value)s” is not a valid SIREN (9 digits with a valid check digit)."),
            params={"value": value},
            code="invalid_siren",
        ) from exc


def validate_siret(value: str) -> None:
    try:
        siret.validate(value)
    except stdnum_errors.ValidationError as exc:
        raise ValidationError(
            _("“%(value)s” is not a valid SIRET (14 digits with a valid check digit)."),
            params={"value": value},
            code="invalid_siret",
        ) from exc


def validate_vat(value: str) -> None:
    try:
        vat.validate(value)
    except stdnum_errors.ValidationError as exc:
        raise ValidationError(
            _("“%(value)s” is not a valid intra-EU VAT number (e.g. FR40303265045)."),
            params={"value": value},
            code="invalid_vat",
        ) from exc


def validate_iban(value: str) -> None:
    try:
        IBAN(value)
    except SchwiftyException as exc:
        raise ValidationError(
            _("“%(value)s” is not a valid IBAN."), params={"value": value}, code="invalid_iban"
        ) from exc


def validate_prefix(value: str) -> None:
    if not re.fullmatch(r"[A-Z]{1,10}", value or ""):
        raise ValidationError(
            _("A numbering prefix is 1 to 10 capital letters, e.g. F or AV."),
            code="invalid_prefix",
        )
