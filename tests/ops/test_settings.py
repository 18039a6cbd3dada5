"""Settings come from the environment alone: safe for a developer by default, strict and
``check --deploy`` clean in production. Each case runs manage.py in a fresh process with a
controlled environment, because settings are read once, at import."""

import json
import os
import secrets
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet
from django.conf import settings as django_settings

BASE_DIR = django_settings.BASE_DIR

# Variables that settings.py reads and that a developer's shell or the test runner may
# have set; each case starts without them and adds what it means to test.
SETTINGS_VARIABLES = {
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "DB_CONN_MAX_AGE",
    "TIME_ZONE",
    "MALL_CURRENCY",
    "STATIC_ROOT",
    "MEDIA_ROOT",
    "EMAIL_BACKEND",
    "EMAIL_HOST",
    "EMAIL_PORT",
    "MALL_FIELD_KEYS",
    "MALL_FIELD_INDEX_KEY",
    "DEFAULT_FROM_EMAIL",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_PROXY_SSL_HEADER",
    "CELERY_BROKER_URL",
    "CELERY_TASK_ALWAYS_EAGER",
    "MALL_HEARTBEAT_INTERVAL",
    "MALL_HEARTBEAT_MAX_AGE",
    "LOG_LEVEL",
    "LOG_FORMAT",
    "DJANGO_SETTINGS_MODULE",
}

SHOW_SETTINGS = (
    "import json; from django.conf import settings as s; print(json.dumps({"
    "'DEBUG': s.DEBUG, 'SECRET_KEY': s.SECRET_KEY, 'ALLOWED_HOSTS': s.ALLOWED_HOSTS, "
    "'SESSION_COOKIE_SECURE': s.SESSION_COOKIE_SECURE, "
    "'CSRF_COOKIE_SECURE': s.CSRF_COOKIE_SECURE, "
    "'SECURE_SSL_REDIRECT': s.SECURE_SSL_REDIRECT, "
    "'SECURE_HSTS_SECONDS': s.SECURE_HSTS_SECONDS, "
    "'SECURE_PROXY_SSL_HEADER': getattr(s, 'SECURE_PROXY_SSL_HEADER', None), "
    "'STATICFILES_BACKEND': s.STORAGES['staticfiles']['BACKEND'], "
    "'EMAIL_BACKEND': s.EMAIL_BACKEND}))"
)


def production_env() -> dict[str, str]:
    return {
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(64),  # 86 characters
        "ALLOWED_HOSTS": "shop.example.com",
        "MALL_FIELD_KEYS": Fernet.generate_key().decode(),
        "MALL_FIELD_INDEX_KEY": secrets.token_urlsafe(32),
    }


def manage(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    environ = {k: v for k, v in os.environ.items() if k not in SETTINGS_VARIABLES}
    environ.update(env or {})
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )


def shown_settings(env: dict[str, str] | None = None) -> dict:
    result = manage("shell", "--no-imports", "-c", SHOW_SETTINGS, env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_development_defaults():
    values = shown_settings()

    assert values["DEBUG"] is True
    assert values["SECRET_KEY"].startswith("dev-only-")
    assert set(values["ALLOWED_HOSTS"]) == {"127.0.0.1", "localhost", "[::1]"}
    assert values["SESSION_COOKIE_SECURE"] is False
    assert values["SECURE_SSL_REDIRECT"] is False
    assert values["SECURE_HSTS_SECONDS"] == 0
    assert values["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"


def test_production_mode_is_strict():
    env = production_env()

    values = shown_settings(env)

    assert values["DEBUG"] is False
    assert values["SECRET_KEY"] == env["SECRET_KEY"]
    assert values["ALLOWED_HOSTS"] == ["shop.example.com"]
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_HSTS_SECONDS"] >= 31536000
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert values["STATICFILES_BACKEND"].startswith("whitenoise.storage.CompressedManifest")
    assert values["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"


@pytest.mark.parametrize("secret_key", [None, ""])
def test_production_mode_without_secret_key_fails_clearly(secret_key):
    env = production_env()
    if secret_key is None:
        del env["SECRET_KEY"]
    else:
        env["SECRET_KEY"] = secret_key

    result = manage("check", env=env)

    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY must be set when DEBUG is off." in result.stderr


def test_production_mode_passes_check_deploy():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_development_mode_passes_plain_check():
    result = manage("check", "--fail-level", "WARNING")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_models_and_migrations_agree():
    result = manage("makemigrations", "--check", "--dry-run")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "No changes detected" in result.stdout


def test_collectstatic_works_in_production_mode(tmp_path):
    # The Docker image runs exactly this at build time; the manifest storage fails on a
    # stylesheet that references a file which does not exist.
    env = {**production_env(), "STATIC_ROOT": str(tmp_path)}

    result = manage("collectstatic", "--noinput", env=env)

    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "staticfiles.json").exists()
