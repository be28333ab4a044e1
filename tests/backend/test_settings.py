"""Deployment files and settings agree with each other, and production refuses to start unsafe.
(compose.yaml is checked by starting what it describes: test_deployment.py.)"""

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = ROOT / "backend" / "settings"
ENV_NAME = re.compile(r"""(?:env(?:\.\w+)?|_required|database_settings)\(\s*"([A-Z][A-Z0-9_]+)\"""")


def settings_env_names() -> set[str]:
    names: set[str] = set()
    for path in SETTINGS.glob("*.py"):
        names |= set(ENV_NAME.findall(path.read_text()))
    return names


def run_production(env_overrides: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "RESIDENCE_", "BALLOT_"))
    }
    env.update({"DJANGO_SETTINGS_MODULE": "backend.settings.production", **env_overrides})
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = run_production(
        {"RESIDENCE_CODE_KEY": "k", "BALLOT_KEY": "b", "DJANGO_ALLOWED_HOSTS": "x.org"}, "check"
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set in production" in result.stderr


def test_production_refuses_to_start_without_a_residence_code_key():
    result = run_production(
        {"DJANGO_SECRET_KEY": "s" * 60, "BALLOT_KEY": "b", "DJANGO_ALLOWED_HOSTS": "x.org"}, "check"
    )
    assert result.returncode != 0
    assert "RESIDENCE_CODE_KEY must be set in production" in result.stderr


def test_production_refuses_to_start_without_a_ballot_key():
    result = run_production(
        {"DJANGO_SECRET_KEY": "s" * 60, "RESIDENCE_CODE_KEY": "r", "DJANGO_ALLOWED_HOSTS": "x.org"},
        "check",
    )
    assert result.returncode != 0
    assert "BALLOT_KEY must be set in production" in result.stderr


def test_production_passes_check_deploy_with_real_secrets():
    secret = "Zq8" + "x7Lm2Pa9Rt4Vb6Nc1" * 4
    result = run_production(
        {
            "DJANGO_SECRET_KEY": secret,
            "RESIDENCE_CODE_KEY": "r" * 40,
            "BALLOT_KEY": "b" * 40,
            "DJANGO_ALLOWED_HOSTS": "x.org",
        },
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
    )
    assert result.returncode == 0, result.stderr


def test_production_security_settings():
    env = {
        "DJANGO_SECRET_KEY": "s" * 60,
        "RESIDENCE_CODE_KEY": "r",
        "BALLOT_KEY": "b",
        "DJANGO_ALLOWED_HOSTS": "x.org",
    }
    code = (
        "from django.conf import settings as s;"
        "print(s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_AGE, s.SESSION_SAVE_EVERY_REQUEST,"
        " s.PASSWORD_RESET_TIMEOUT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.DEBUG)"
    )
    result = run_production(env, "shell", "--no-imports", "-c", code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["31536000", "1800", "True", "3600", "True", "True", "False"]


def test_dockerfile_copies_every_package_the_project_installs():
    dockerfile = (ROOT / "Dockerfile").read_text()
    for package in ("backend", "community", "grants", "voting", "ledger", "api", "locale"):
        assert f"COPY {package} ./{package}" in dockerfile


def test_readme_starts_with_the_two_commands_and_documents_every_variable():
    readme = (ROOT / "README.md").read_text()
    first_lines = readme.splitlines()[:6]
    assert any(line.startswith("DEMO_PASSWORD=") and "scripts/run" in line for line in first_lines)
    assert any(line.startswith("scripts/test") for line in first_lines)
    for name in settings_env_names() - {"EMAIL_BACKEND"}:
        assert f"`{name}`" in readme, name
