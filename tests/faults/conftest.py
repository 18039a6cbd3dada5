"""The fault drills' own shop: a PostgreSQL and a Redis started here (not the servers the
rest of the suite uses), migrated, and the shop's web server, worker and beat run by
ops.supervise as bin/shop runs them, watching Redis. The drills kill and restart these
processes; everything listens on 127.0.0.1, and every wait is bounded."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis

from ops import devstack

BASE_DIR = Path(__file__).resolve().parents[2]

# The shop's settings for the drills: heartbeats every second (stale after 4 s), and
# messages held by a lost connection handed out again after 6 s, looked for every second.
DRILL_SETTINGS = {
    "DEBUG": "1",
    "LOG_FORMAT": "plain",
    "MALL_HEARTBEAT_INTERVAL": "1",
    "MALL_HEARTBEAT_MAX_AGE": "4",
    "MALL_BROKER_VISIBILITY_TIMEOUT": "6",
    "MALL_BROKER_RESTORE_INTERVAL": "1",
}


def wait_for(what: str, check, timeout: float, interval: float = 0.2):
    """Poll ``check`` until it returns something true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {timeout:g} s")
        time.sleep(interval)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Stack:
    state: Path
    database_url: str
    redis_url: str
    env: dict[str, str]

    def redis(self) -> redis.Redis:
        return redis.Redis.from_url(self.redis_url, socket_timeout=2, socket_connect_timeout=2)


@pytest.fixture(scope="package")
def stack():
    runs = BASE_DIR / ".run"
    runs.mkdir(exist_ok=True)
    # Under .run, not pytest's tmp_path: PostgreSQL's unprivileged user must reach it.
    state = Path(tempfile.mkdtemp(prefix="faults-", dir=runs))
    try:
        urls = devstack.start(state, fast=True)
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("MALL_", "CELERY_")) and key != "PYTEST_CURRENT_TEST"
        }
        env.update(DRILL_SETTINGS)
        env.update(
            DATABASE_URL=urls["DATABASE_URL"],
            REDIS_URL=urls["REDIS_URL"],
            MEDIA_ROOT=str(state / "media"),
            MALL_SITE_URL="http://127.0.0.1",
        )
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput"],
            cwd=BASE_DIR,
            env=env,
            check=True,
            capture_output=True,
            timeout=180,
        )
        yield Stack(state, urls["DATABASE_URL"], urls["REDIS_URL"], env)
    finally:
        devstack.stop(state)
        shutil.rmtree(state, ignore_errors=True)


@dataclass
class Shop:
    url: str
    run: Path
    supervisor: subprocess.Popen

    def pids(self) -> dict[str, int]:
        try:
            return json.loads((self.run / "pids.json").read_text())
        except (OSError, ValueError):
            return {}

    def log(self, name: str) -> str:
        path = self.run / "logs" / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def get(self, path: str, **headers) -> tuple[int, dict, bytes]:
        request = urllib.request.Request(self.url + path, headers=headers)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()

    def readyz(self) -> dict:
        """The readiness answer, with its HTTP status as ``http_status``."""
        status, _, body = self.get("/readyz")
        return {**json.loads(body), "http_status": status}


def alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    # A child that exited but was not reaped yet is no longer running.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


@pytest.fixture(scope="package")
def shop(stack):
    """The shop as bin/shop runs it: ops.supervise with web, worker and beat, keeping the
    drill's Redis up (PostgreSQL is left to the drills)."""
    port = free_port()
    run = stack.state / "shop"
    supervisor = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ops.supervise",
            "--run",
            str(run),
            "--port",
            str(port),
            "--web-workers",
            "1",
            "--worker-concurrency",
            "1",
            "--servers",
            str(stack.state),
            "--only",
            "redis",
        ],
        cwd=BASE_DIR,
        env=stack.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    shop = Shop(f"http://127.0.0.1:{port}", run, supervisor)
    try:
        try:
            wait_for("the drill's shop is ready", lambda: _ready(shop), timeout=60, interval=0.5)
        except pytest.fail.Exception:
            pytest.fail(f"shop not ready: {_last_readyz(shop)}\n{shop.log('supervisor')}")
        yield shop
    finally:
        supervisor.send_signal(signal.SIGTERM)
        try:
            supervisor.wait(timeout=30)
        except subprocess.TimeoutExpired:
            supervisor.kill()
            supervisor.wait(timeout=10)
            for pid in shop.pids().values():
                if alive(pid):
                    os.kill(pid, signal.SIGKILL)


def _last_readyz(shop: Shop) -> str:
    try:
        return str(shop.readyz())
    except (OSError, ValueError) as error:
        return repr(error)


def _ready(shop: Shop) -> bool:
    try:
        return shop.readyz()["http_status"] == 200
    except (OSError, ValueError):
        return False
