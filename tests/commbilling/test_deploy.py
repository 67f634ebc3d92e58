"""The production profile passes `check --deploy` with no warning."""

import os
import subprocess
import sys
from pathlib import Path

from cryptography.fernet import Fernet

from commbilling.secrets import DEVELOPMENT_KEY

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "COMMBILLING_PROFILE": "production",
    "SECRET_KEY": "x" * 20 + "-a-long-random-production-secret-key-!@#$%",
    "SECRETS_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
    "ALLOWED_HOSTS": "billing.example.com",
}


def _check(*args: str, **env: str) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in {**os.environ, **PRODUCTION, **env}.items() if v is not None}
    return subprocess.run(
        [sys.executable, "manage.py", "check", *args],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_production_profile_passes_check_deploy():
    result = _check("--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_production_profile_refuses_to_start_without_a_secret_key():
    result = _check(SECRET_KEY=None)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_the_production_profile_refuses_to_start_without_a_secrets_encryption_key():
    result = _check(SECRETS_ENCRYPTION_KEYS=None)
    assert result.returncode != 0
    assert "commbilling.E001" in result.stderr


def test_a_key_that_is_not_a_fernet_key_is_refused():
    result = _check(SECRETS_ENCRYPTION_KEYS=f"{Fernet.generate_key().decode()},not-a-key")
    assert result.returncode != 0
    assert "commbilling.E002" in result.stderr
    assert "key 2" in result.stderr


def test_check_deploy_refuses_the_development_encryption_key():
    result = _check("--deploy", SECRETS_ENCRYPTION_KEYS=DEVELOPMENT_KEY)
    assert result.returncode != 0
    assert "commbilling.E003" in result.stderr


def test_check_deploy_warns_while_the_development_key_is_kept_for_rotation():
    keys = f"{Fernet.generate_key().decode()},{DEVELOPMENT_KEY}"
    result = _check("--deploy", "--fail-level", "WARNING", SECRETS_ENCRYPTION_KEYS=keys)
    assert result.returncode != 0
    assert "commbilling.W001" in result.stderr
