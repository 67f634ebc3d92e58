"""docker-compose.yml describes the production deployment and is accepted by compose."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = shutil.which("docker-compose")
SECRETS = {
    "POSTGRES_PASSWORD": "secret",
    "APP_DB_PASSWORD": "other",
    "SECRETS_ENCRYPTION_KEYS": "q4rJ7dfcmS1LQCw0NU-lvsAN2ORXtuQhU9S5ZC3ysKY=",
}


@pytest.mark.skipif(COMPOSE is None, reason="docker-compose is not installed (CI installs it)")
def test_compose_accepts_the_deployment_file(tmp_path):
    (tmp_path / ".env").write_text("SECRET_KEY=s\nALLOWED_HOSTS=billing.example.com\n")
    shutil.copy(ROOT / "docker-compose.yml", tmp_path / "docker-compose.yml")
    shutil.copy(ROOT / "Dockerfile", tmp_path / "Dockerfile")
    result = subprocess.run(
        [COMPOSE, "config"],
        cwd=tmp_path,
        env={**os.environ, **SECRETS},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    config = result.stdout
    for service in ("postgres:", "redis:", "web:", "worker:", "beat:"):
        assert service in config
    assert "appendonly" in config
    assert "noeviction" in config
    assert config.count("healthcheck:") >= 4
    # The application connects as the role that owns nothing; only migrate as the owner.
    assert config.count("postgres://commbilling_app:other@") >= 4
    assert config.count("postgres://commbilling:secret@") == 1
    assert "grant_app_role commbilling_app" in config
    # Web, both workers, beat and migrate (whose data migration encrypts) read the keys.
    assert config.count(f"SECRETS_ENCRYPTION_KEYS: {SECRETS['SECRETS_ENCRYPTION_KEYS']}") == 5


@pytest.mark.skipif(COMPOSE is None, reason="docker-compose is not installed (CI installs it)")
def test_compose_refuses_to_start_without_the_secrets_encryption_keys(tmp_path):
    (tmp_path / ".env").write_text("SECRET_KEY=s\nALLOWED_HOSTS=billing.example.com\n")
    shutil.copy(ROOT / "docker-compose.yml", tmp_path / "docker-compose.yml")
    environ = {k: v for k, v in os.environ.items() if k != "SECRETS_ENCRYPTION_KEYS"}
    result = subprocess.run(
        [COMPOSE, "config"],
        cwd=tmp_path,
        env={**environ, "POSTGRES_PASSWORD": "secret", "APP_DB_PASSWORD": "other"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "set SECRETS_ENCRYPTION_KEYS in .env" in result.stderr
