"""The local servers the README's commands start: real PostgreSQL and Redis from wheels."""

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
