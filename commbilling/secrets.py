"""Secrets (the SMTP password, the payment provider's API key) encrypted at rest.

``SecretField`` is django-fernet-encrypted-fields' ``EncryptedCharField`` (Fernet:
AES-128-CBC and HMAC-SHA256, from ``cryptography``) with its keys taken as they are from
``SECRETS_ENCRYPTION_KEYS``, newest first, instead of being derived from ``SECRET_KEY``:
rotating the key that signs sessions never makes a stored secret unreadable, and the
keys are checked at start-up (``commbilling.E001``…, below). The column holds a Fernet
token; reading decrypts with any of the keys, writing encrypts with the first one.

Rotating the key (README, "Secrets"): put a new key first and keep the old ones after it,
run ``manage.py rotate_secrets`` (re-encrypts every stored secret with the new key), then
remove the old keys. Forms never show a secret back (``commbilling.forms.WriteOnlySecretsMixin``).
"""

import base64
import binascii
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.apps import apps
from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.db import models, transaction
from encrypted_fields.fields import EncryptedCharField

# The key used when SECRETS_ENCRYPTION_KEYS is not set, in development only (a fresh clone
# runs with no setup). `check --deploy` refuses it; the production profile has no default.
DEVELOPMENT_KEY = "ZGV2LW9ubHktY29tbWJpbGxpbmctc2VjcmV0cy1rZXk="

_TOKEN_VERSION = 0x80  # the first byte of every Fernet token


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("SECRETS_ENCRYPTION_KEYS is not set (README, Secrets).")
    return MultiFernet([Fernet(key.encode()) for key in keys])


def fernet() -> MultiFernet:
    """Encrypts with the first key of SECRETS_ENCRYPTION_KEYS, decrypts with any of them."""
    return _fernet(tuple(settings.SECRETS_ENCRYPTION_KEYS))


def _looks_encrypted(value: str) -> bool:
    """A Fernet token: version byte, timestamp (8), IV (16), whole AES blocks, HMAC (32)."""
    try:
        raw = base64.urlsafe_b64decode(value.encode())
    except (binascii.Error, ValueError):
        return False
    return len(raw) >= 73 and raw[0] == _TOKEN_VERSION and (len(raw) - 57) % 16 == 0


class SecretField(EncryptedCharField):
    """A CharField stored as a Fernet token (see the module docstring).

    ``max_length`` bounds the secret itself; the column is ``text`` (a token is about
    1.4 times longer). An empty secret is stored as an empty string, not encrypted."""

    @property
    def f(self) -> MultiFernet:  # the library's name for the field's Fernet
        return fernet()

    def get_prep_value(self, value: Any) -> Any:
        return super().get_prep_value(value) or ""

    def to_python(self, value: Any) -> Any:
        if not isinstance(value, str) or not value or hasattr(self, "_already_decrypted"):
            return value
        try:
            return fernet().decrypt(value.encode()).decode()
        except InvalidToken:
            if _looks_encrypted(value):
                # Never hand the token itself to an SMTP server or a payment provider.
                raise ImproperlyConfigured(
                    f"A secret of {self.model._meta.label}.{self.name} was encrypted with a "
                    "key that is not in SECRETS_ENCRYPTION_KEYS (removed before "
                    "`manage.py rotate_secrets` ran?)."
                ) from None
            return value  # stored before encryption: the data migration encrypts it


def secret_fields() -> list[tuple[type[models.Model], list[str]]]:
    """Every model with secrets, and the names of its secret fields."""
    found = []
    for model in apps.get_models():
        names = [f.name for f in model._meta.concrete_fields if isinstance(f, SecretField)]
        if names:
            found.append((model, names))
    return found


def rotate_secrets() -> int:
    """Re-encrypt every stored secret with the first key; return how many rows were
    rewritten. A secret no key can read raises before anything is written."""
    rows = 0
    with transaction.atomic():
        for model, names in secret_fields():
            manager = model._base_manager
            for pk, *values in manager.select_for_update().values_list("pk", *names):
                manager.filter(pk=pk).update(**dict(zip(names, values, strict=True)))
                rows += 1
    return rows


def encrypt_in_place(app_label: str, model_name: str, fields: Sequence[str]) -> tuple[Any, Any]:
    """The two functions of a data migration (``RunPython(*encrypt_in_place(...))``) that
    turn ``fields`` into SecretFields: forward, values stored in clear are read as they
    are (a value that is not a token is returned unchanged) and written back encrypted;
    backward, they are written back in clear, past the field (which would encrypt them)."""
    names = list(fields)

    def forward(migration_apps: Any, schema_editor: Any) -> None:
        model = migration_apps.get_model(app_label, model_name)
        for pk, *values in model.objects.values_list("pk", *names):
            model.objects.filter(pk=pk).update(**dict(zip(names, values, strict=True)))

    def backward(migration_apps: Any, schema_editor: Any) -> None:
        model = migration_apps.get_model(app_label, model_name)
        connection = schema_editor.connection
        table = connection.ops.quote_name(model._meta.db_table)
        columns = ", ".join(f"{connection.ops.quote_name(name)} = %s" for name in names)
        with connection.cursor() as cursor:
            for pk, *values in model.objects.values_list("pk", *names):
                cursor.execute(f"UPDATE {table} SET {columns} WHERE id = %s", [*values, pk])  # noqa: S608

    return forward, backward


def _key_problems(keys: Sequence[str]) -> list[str]:
    problems = []
    for position, key in enumerate(keys, start=1):
        try:
            Fernet(key.encode())
        except (ValueError, binascii.Error):
            problems.append(f"key {position} is not a Fernet key (32 bytes, url-safe base64)")
    return problems


@checks.register()
def check_secrets_keys(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    keys = settings.SECRETS_ENCRYPTION_KEYS
    hint = (
        'Generate one with `python -c "from cryptography.fernet import Fernet; '
        'print(Fernet.generate_key().decode())"` (README, Secrets).'
    )
    if not keys:
        missing = "SECRETS_ENCRYPTION_KEYS is not set."
        return [checks.Error(missing, hint=hint, id="commbilling.E001")]
    return [
        checks.Error(f"SECRETS_ENCRYPTION_KEYS: {problem}.", hint=hint, id="commbilling.E002")
        for problem in _key_problems(keys)
    ]


@checks.register(checks.Tags.security, deploy=True)
def check_secrets_keys_for_deployment(
    app_configs: Any = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    keys = settings.SECRETS_ENCRYPTION_KEYS
    if keys and keys[0] == DEVELOPMENT_KEY:
        return [
            checks.Error(
                "Secrets are encrypted with the development key, which is public.",
                hint="Set SECRETS_ENCRYPTION_KEYS to a key of your own, then run "
                "`manage.py rotate_secrets` with the development key after it (README, Secrets).",
                id="commbilling.E003",
            )
        ]
    if DEVELOPMENT_KEY in keys:
        return [
            checks.Warning(
                "SECRETS_ENCRYPTION_KEYS still lists the development key.",
                hint="Run `manage.py rotate_secrets`, then remove it.",
                id="commbilling.W001",
            )
        ]
    return []
