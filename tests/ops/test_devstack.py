"""The local servers the README's commands start: real PostgreSQL and Redis from wheels."""

import json
import shutil
import socket
import tempfile
from pathlib import Path

import psycopg2
import redis

from ops import devstack


def test_start_is_idempotent_and_stop_stops():
    # Not pytest's tmp_path: pytest makes its base folder private to root, which the
    # unprivileged PostgreSQL user (when the suite runs as root) could not enter.
    runs = Path(__file__).resolve().parents[2] / ".run"
    runs.mkdir(exist_ok=True)
    state = Path(tempfile.mkdtemp(prefix="devstack-", dir=runs))
    try:
        first = devstack.start(state, fast=True)
        again = devstack.start(state, fast=True)
        assert first.pop("STARTED") == "postgres redis"
        # The running servers are reused, not doubled, and the second caller owns nothing.
        assert again.pop("STARTED") == ""
        assert first == again

        with psycopg2.connect(first["DATABASE_URL"]) as conn, conn.cursor() as cursor:
            cursor.execute("SELECT current_database(), current_setting('server_version_num')")
            database, version = cursor.fetchone()
        assert database == "mall"
        assert int(version) >= 180000
        assert redis.Redis.from_url(first["REDIS_URL"]).ping()
        # A caller that started only Redis stops only Redis.
        devstack.stop(state, only={"redis"})
        with psycopg2.connect(first["DATABASE_URL"]) as conn:
            assert conn.closed == 0
    finally:
        devstack.stop(state)
        shutil.rmtree(state, ignore_errors=True)

    port = int(first["REDIS_URL"].rsplit(":", 1)[1].split("/")[0])
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0  # Redis is gone
    pg_port = int(first["DATABASE_URL"].rsplit(":", 1)[1].split("/")[0])
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", pg_port)) != 0  # PostgreSQL is gone


def _state_folder() -> Path:
    runs = Path(__file__).resolve().parents[2] / ".run"
    runs.mkdir(exist_ok=True)
    return Path(tempfile.mkdtemp(prefix="devstack-", dir=runs))


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1].split("/")[0])


def _leave_time_wait_on(port_holder: socket.socket) -> None:
    """Connect to a listening socket and let the server side close first: the closed
    connection sits in TIME_WAIT on the server's port, as a killed server's do."""
    host, port = port_holder.getsockname()
    client = socket.create_connection((host, port), timeout=2)
    served, _ = port_holder.accept()
    served.close()
    client.recv(1)  # the server's FIN
    client.close()


def test_a_port_in_time_wait_counts_as_free():
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    _leave_time_wait_on(listener)
    listener.close()

    # Redis and PostgreSQL bind with SO_REUSEADDR: they can listen there again at once.
    assert devstack._port_is_free(port)


def test_a_restart_keeps_the_recorded_ports():
    state = _state_folder()
    try:
        first = devstack.start(state, fast=True)
        # Clients connected while the servers stop: their connections end in TIME_WAIT
        # on the servers' ports, as when a server is killed under a running shop.
        pg = psycopg2.connect(first["DATABASE_URL"])
        cache = redis.Redis.from_url(first["REDIS_URL"])
        cache.set("mall:queued-task", "kept")
        devstack.stop(state)
        pg.close()
        cache.close()

        again = devstack.start(state, fast=True)

        assert again["DATABASE_URL"] == first["DATABASE_URL"]
        assert again["REDIS_URL"] == first["REDIS_URL"]
        # Redis runs with an append-only file: what was queued is there after a restart.
        restarted = redis.Redis.from_url(again["REDIS_URL"])
        assert restarted.config_get("appendonly") == {"appendonly": "yes"}
        assert restarted.get("mall:queued-task") == b"kept"
    finally:
        devstack.stop(state)
        shutil.rmtree(state, ignore_errors=True)


def test_a_recorded_port_taken_by_another_program_is_reported(capsys):
    state = _state_folder()
    squatter = socket.socket()
    try:
        first = devstack.start(state, fast=True)
        devstack.stop(state, only={"redis"})
        squatter.bind(("127.0.0.1", _port(first["REDIS_URL"])))
        squatter.listen()

        status = devstack.main(["start", str(state), "--fast"])

        assert status == 1
        err = capsys.readouterr().err
        assert f"redis's port {_port(first['REDIS_URL'])} " in err
        assert "ports.json" in err
        # Nothing moved: the shop's processes keep the address they were given.
        assert json.loads((state / "ports.json").read_text())["redis"] == _port(first["REDIS_URL"])
    finally:
        squatter.close()
        devstack.stop(state)
        shutil.rmtree(state, ignore_errors=True)
