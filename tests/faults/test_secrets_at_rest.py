"""Issue 14, item 2: secrets are encrypted at rest with keys from the environment, and the
keys can be rotated. The raw column is read with SQL, past the ORM."""

import io

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from accounts.models import CompanySettings

pytestmark = pytest.mark.django_db

SMTP_PASSWORD = "smtp-Pa55word-never-in-clear"
API_KEY = "sk_live_51Hq8ZkLongSecretKey4f2a"
OLD_KEY, NEW_KEY = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def _raw(company_pk: int) -> tuple[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT smtp_password, provider_api_key FROM accounts_companysettings WHERE id = %s",
            [company_pk],
        )
        return cursor.fetchone()


def _set_secrets(organisation, **secrets: str) -> CompanySettings:
    company = organisation.company_settings
    values = {"smtp_password": SMTP_PASSWORD, "provider_api_key": API_KEY, **secrets}
    for name, value in values.items():
        setattr(company, name, value)
    company.save()
    return company


def _read(company: CompanySettings) -> tuple[str, str]:
    fresh = CompanySettings.objects.get(pk=company.pk)
    return fresh.smtp_password, fresh.provider_api_key


def test_the_column_holds_a_token_not_the_secret(organisation):
    company = _set_secrets(organisation)

    raw_password, raw_key = _raw(company.pk)

    for raw, secret in ((raw_password, SMTP_PASSWORD), (raw_key, API_KEY)):
        assert secret not in raw
        assert secret[-4:] not in raw
        assert raw.startswith("gAAAAA"), "a Fernet token"
    assert _read(company) == (SMTP_PASSWORD, API_KEY)


def test_a_queryset_update_encrypts_too(organisation):
    company = organisation.company_settings
    CompanySettings.objects.filter(pk=company.pk).update(provider_api_key=API_KEY)

    assert API_KEY not in _raw(company.pk)[1]
    assert _read(company)[1] == API_KEY


def test_the_same_secret_is_stored_differently_each_time(organisation):
    company = _set_secrets(organisation)
    first = _raw(company.pk)
    company.save()
    assert _raw(company.pk) != first


def test_an_empty_secret_stays_empty(organisation):
    company = _set_secrets(organisation, smtp_password="", provider_api_key="")
    assert _raw(company.pk) == ("", "")
    assert _read(company) == ("", "")


def test_a_secret_is_read_with_any_listed_key_and_written_with_the_first(organisation, settings):
    settings.SECRETS_ENCRYPTION_KEYS = [OLD_KEY]
    company = _set_secrets(organisation)

    settings.SECRETS_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    assert _read(company) == (SMTP_PASSWORD, API_KEY)
    company.smtp_password = "a-new-password"
    company.save(update_fields=["smtp_password"])
    raw_password, raw_key = _raw(company.pk)
    assert Fernet(NEW_KEY.encode()).decrypt(raw_password.encode()) == b"a-new-password"
    assert Fernet(OLD_KEY.encode()).decrypt(raw_key.encode()) == API_KEY.encode()


def test_rotate_secrets_reencrypts_every_secret_with_the_new_key(
    organisation, other_organisation, settings
):
    settings.SECRETS_ENCRYPTION_KEYS = [OLD_KEY]
    companies = [_set_secrets(organisation), _set_secrets(other_organisation)]
    before = [_raw(c.pk) for c in companies]

    settings.SECRETS_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    out = io.StringIO()
    call_command("rotate_secrets", stdout=out)

    assert "2 row(s)" in out.getvalue()
    for company, old_raw in zip(companies, before, strict=True):
        assert _raw(company.pk) != old_raw
        for raw, secret in zip(_raw(company.pk), (SMTP_PASSWORD, API_KEY), strict=True):
            assert Fernet(NEW_KEY.encode()).decrypt(raw.encode()) == secret.encode()
    settings.SECRETS_ENCRYPTION_KEYS = [NEW_KEY]  # the old key is gone: still readable
    assert [_read(c) for c in companies] == [(SMTP_PASSWORD, API_KEY)] * 2


def test_a_secret_whose_key_was_removed_is_an_error_not_the_token(organisation, settings):
    settings.SECRETS_ENCRYPTION_KEYS = [OLD_KEY]
    company = _set_secrets(organisation)

    settings.SECRETS_ENCRYPTION_KEYS = [NEW_KEY]
    with pytest.raises(ImproperlyConfigured, match="rotate_secrets"):
        _read(company)
    with pytest.raises(ImproperlyConfigured):
        call_command("rotate_secrets", stdout=io.StringIO())
    settings.SECRETS_ENCRYPTION_KEYS = [OLD_KEY]
    assert _read(company) == (SMTP_PASSWORD, API_KEY), "nothing was rewritten"


@pytest.mark.django_db(transaction=True)
def test_the_migration_encrypts_secrets_stored_in_clear_and_reverses(organisation):
    company = organisation.company_settings
    executor = MigrationExecutor(connection)
    before, after = ("accounts", "0006_history_names"), ("accounts", "0007_secrets_encrypted")
    executor.migrate([before])
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE accounts_companysettings SET smtp_password = %s, provider_api_key = %s"
                " WHERE id = %s",
                [SMTP_PASSWORD, API_KEY, company.pk],
            )

        MigrationExecutor(connection).migrate([after])

        raw_password, raw_key = _raw(company.pk)
        assert SMTP_PASSWORD not in raw_password
        assert API_KEY not in raw_key
        assert _read(company) == (SMTP_PASSWORD, API_KEY)

        MigrationExecutor(connection).migrate([before])
        assert _raw(company.pk) == (SMTP_PASSWORD, API_KEY)
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())


def test_every_write_only_secret_of_a_form_is_encrypted_at_rest():
    """A form that keeps a field write-only (WriteOnlySecretsMixin) names a secret: its
    model field must be a SecretField too."""
    import importlib
    import inspect

    from django.apps import apps

    from commbilling.forms import WriteOnlySecretsMixin
    from commbilling.secrets import SecretField

    checked = []
    for config in apps.get_app_configs():
        for module_name in (f"{config.name}.forms", f"{config.name}.admin"):
            try:
                module = importlib.import_module(module_name)
            except ModuleNotFoundError:
                continue
            for _, form in inspect.getmembers(module, inspect.isclass):
                if issubclass(form, WriteOnlySecretsMixin) and form is not WriteOnlySecretsMixin:
                    model = form._meta.model
                    for name in form.secret_fields:
                        field = model._meta.get_field(name)
                        assert isinstance(field, SecretField), f"{model._meta.label}.{name}"
                        checked.append(f"{model._meta.label}.{name}")
    assert {"accounts.CompanySettings.smtp_password", "einvoicing.PlatformSettings.api_key"} <= set(
        checked
    )
