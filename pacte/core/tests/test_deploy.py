"""Production settings: `check --deploy` is clean with production values; `pacte serve` refuses demo ones."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def run(args, **env):
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith("PACTE_") and key != "DATABASE_URL"
    }
    environment.pop("DJANGO_SETTINGS_MODULE", None)
    environment.update(env)
    return subprocess.run(  # noqa: S603
        [sys.executable, *args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def production_env(tmp_path):
    return {
        "PACTE_SECRET_KEY": secrets.token_urlsafe(64),
        "PACTE_ALLOWED_HOSTS": "pacte.example.fr",
        "PACTE_VAR_DIR": str(tmp_path),
    }


def test_check_deploy_passes_with_production_values(production_env):
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **production_env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_flags_the_demo_secret_key(tmp_path):
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], PACTE_VAR_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "pacte.E001" in result.stderr + result.stdout


def test_check_deploy_flags_plain_http(production_env):
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], PACTE_HTTPS="0", **production_env)
    assert result.returncode != 0
    assert "pacte.W001" in result.stderr + result.stdout


def test_serve_refuses_the_demo_secret_key(tmp_path):
    result = run(["-m", "pacte.cli", "serve"], PACTE_VAR_DIR=str(tmp_path))
    assert result.returncode == 2
    assert "PACTE_SECRET_KEY" in result.stderr


def test_serve_refuses_debug(production_env):
    result = run(["-m", "pacte.cli", "serve"], PACTE_DEBUG="1", **production_env)
    assert result.returncode == 2
    assert "PACTE_DEBUG" in result.stderr


def test_provider_create_and_manage_passthrough(tmp_path):
    env = {"PACTE_VAR_DIR": str(tmp_path)}
    assert run(["-m", "pacte.cli", "manage", "migrate", "--no-input", "-v", "0"], **env).returncode == 0
    created = run(
        ["-m", "pacte.cli", "provider", "create", "Infogérance Bretagne", "--admin-email", "chef@bzh.test"], **env
    )
    assert created.returncode == 0, created.stderr
    assert "Infogérance Bretagne" in created.stdout
    refused = run(
        ["-m", "pacte.cli", "provider", "create", "Mauvais", "--admin-email", "x@y.test", "--siren", "123"], **env
    )
    assert refused.returncode == 2
    assert "siren" in refused.stderr
    listing = run(
        [
            "-m",
            "pacte.cli",
            "manage",
            "shell",
            "-v",
            "0",
            "-c",
            "from pacte.tenancy.models import *; print(Provider.objects.count(), Membership.objects.count())",
        ],
        **env,
    )
    assert listing.stdout.split() == ["1", "1"]
