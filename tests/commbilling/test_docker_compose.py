"""docker-compose.yml describes the production deployment and is accepted by compose."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = shutil.which("docker-compose")


@pytest.mark.skipif(COMPOSE is None, reason="docker-compose is not installed (CI installs it)")
def test_compose_accepts_the_deployment_file(tmp_path):
    (tmp_path / ".env").write_text("SECRET_KEY=s\nALLOWED_HOSTS=billing.example.com\n")
    shutil.copy(ROOT / "docker-compose.yml", tmp_path / "docker-compose.yml")
    shutil.copy(ROOT / "Dockerfile", tmp_path / "Dockerfile")
    result = subprocess.run(
        [COMPOSE, "config"],
        cwd=tmp_path,
        env={**os.environ, "POSTGRES_PASSWORD": "secret", "APP_DB_PASSWORD": "other"},
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
