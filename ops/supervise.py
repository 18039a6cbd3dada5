"""Keep the local shop running: the web server, a Celery worker and Celery beat, and the
local PostgreSQL and Redis that ``bin/shop`` started.

    python -m ops.supervise --run .run/dev [--host 127.0.0.1 --port 8000]
                            [--servers .run/dev --only "postgres redis"]

A process that exits is started again, and the reason is logged (its exit status or
signal, how long it ran, where its log is). Restarts back off: 1 s after the first
exit, then 2, 4, 8 ... up to 30 s while it keeps failing; a process that ran for a minute
is healthy again and starts over at 1 s. One that exits within 10 s of starting five
times in a row is broken, not unlucky (a bad setting, a port in use): the supervisor
says so, stops the others and exits with status 1.

With ``--servers``, the devstack servers named by ``--only`` are checked every two
seconds and started again on their recorded ports when they stopped (ops.devstack
keeps the ports, and Redis's append-only file keeps its queue).

Each program's output goes to ``RUN/logs/NAME.log``, the supervisor's own lines to
stderr and ``RUN/logs/supervisor.log``, and the running processes' ids to
``RUN/pids.json``. SIGTERM or SIGINT stops everything it started (servers excepted:
``bin/shop`` stops those) within 15 s.
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

POLL_SECONDS = 0.2
SERVER_CHECK_SECONDS = 2.0
FIRST_BACKOFF = 1.0
MAX_BACKOFF = 30.0
HEALTHY_AFTER = 60.0  # a run this long resets the backoff
QUICK_EXIT = 10.0  # an exit this soon after starting counts as a failed start
MAX_FAILED_STARTS = 5
STOP_TIMEOUT = 15.0


@dataclass
class Program:
    name: str
    argv: list[str]
    log: Path
    process: subprocess.Popen | None = None
    started_at: float = 0.0
    failures: int = 0  # exits in a row without a healthy run
    failed_starts: int = 0  # of those, exits within QUICK_EXIT of starting
    start_at: float = 0.0  # monotonic time of the next start
    restarts: int = field(default=0)


def shop_programs(args, logs: Path) -> list[Program]:
    bin_dir = Path(sys.executable).parent
    programs = {
        "web": [
            str(bin_dir / "gunicorn"),
            "mall.wsgi",
            "--bind",
            f"{args.host}:{args.port}",
            "--workers",
            str(args.web_workers),
            "--threads",
            "4",
            "--graceful-timeout",
            "10",
            "--access-logfile",
            "-",
        ],
        "worker": [
            str(bin_dir / "celery"),
            "-A",
            "mall",
            "worker",
            "--loglevel=INFO",
            f"--concurrency={args.worker_concurrency}",
        ],
        "beat": [
            str(bin_dir / "celery"),
            "-A",
            "mall",
            "beat",
            "--loglevel=INFO",
            "--schedule",
            str(Path(args.run) / "celerybeat-schedule"),
        ],
    }
    return [Program(name, programs[name], logs / f"{name}.log") for name in args.programs]


def describe_exit(returncode: int) -> str:
    if returncode < 0:
        try:
            return f"was killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"was killed by signal {-returncode}"
    return f"exited with status {returncode}"


class Supervisor:
    def __init__(self, programs: list[Program], run: Path, servers: Path | None, only: set[str]):
        self.programs = programs
        self.run = run
        self.servers = servers
        self.only = only
        self.stopping = False
        self.log_file = (run / "logs" / "supervisor.log").open("a", buffering=1)
        self.server_failures: dict[str, int] = {}
        self.server_start_at: dict[str, float] = {}

    def say(self, message: str) -> None:
        line = f"{time.strftime('%Y-%m-%d %H:%M:%S')} supervisor: {message}"
        print(line, file=sys.stderr, flush=True)
        self.log_file.write(line + "\n")

    # --- programs -------------------------------------------------------------------------

    def start(self, program: Program) -> None:
        log = program.log.open("ab")
        try:
            # A session of its own: a Ctrl-C in the terminal reaches the supervisor, which
            # stops the programs in order, instead of every program at once.
            program.process = subprocess.Popen(  # noqa: S603 (our own commands)
                program.argv, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        finally:
            log.close()
        program.started_at = time.monotonic()
        self.write_pids()

    def check(self, program: Program, now: float) -> None:
        if program.process is None:
            if now >= program.start_at:
                self.start(program)
            return
        returncode = program.process.poll()
        if returncode is None:
            if program.failures and now - program.started_at >= HEALTHY_AFTER:
                program.failures = program.failed_starts = 0
            return
        ran = now - program.started_at
        program.process = None
        program.failures += 1
        program.failed_starts = program.failed_starts + 1 if ran < QUICK_EXIT else 0
        if program.failed_starts >= MAX_FAILED_STARTS:
            self.say(
                f"{program.name} {describe_exit(returncode)} {ran:.1f} s after starting, "
                f"{MAX_FAILED_STARTS} times in a row: giving up (see {program.log})"
            )
            raise SystemExit(1)
        delay = min(FIRST_BACKOFF * 2 ** (program.failures - 1), MAX_BACKOFF)
        program.start_at = now + delay
        program.restarts += 1
        self.say(
            f"{program.name} {describe_exit(returncode)} after running {ran:.1f} s; "
            f"starting it again in {delay:g} s (restart {program.restarts}, see {program.log})"
        )
        self.write_pids()

    def write_pids(self) -> None:
        pids = {
            "supervisor": os.getpid(),
            **{p.name: p.process.pid for p in self.programs if p.process is not None},
        }
        target = self.run / "pids.json"
        temporary = target.with_suffix(".tmp")
        temporary.write_text(json.dumps(pids))
        temporary.replace(target)

    # --- servers --------------------------------------------------------------------------

    def check_servers(self, now: float) -> None:
        from ops import devstack

        servers = {"postgres": devstack.Postgres(self.servers, fast=False)}
        servers["redis"] = devstack.Redis(self.servers)
        down = [name for name in sorted(self.only) if not servers[name].running()]
        for name in down:
            if now < self.server_start_at.get(name, 0.0):
                continue
            self.say(f"{name} is not running; starting it again on its recorded port")
            try:
                devstack.start(self.servers, fast=False)
            except Exception as exc:  # a port taken, a crash not yet cleaned up: try later
                failures = self.server_failures.get(name, 0) + 1
                self.server_failures[name] = failures
                delay = min(FIRST_BACKOFF * 2 ** (failures - 1), MAX_BACKOFF)
                self.server_start_at[name] = now + delay
                self.say(f"could not start {name} ({exc}); trying again in {delay:g} s")
            else:
                self.server_failures.pop(name, None)
                self.say(f"{name} is running again")

    # --- the loop -------------------------------------------------------------------------

    def serve(self) -> int:
        next_server_check = time.monotonic() + SERVER_CHECK_SECONDS
        try:
            while not self.stopping:
                now = time.monotonic()
                for program in self.programs:
                    self.check(program, now)
                if self.servers is not None and self.only and now >= next_server_check:
                    self.check_servers(now)
                    next_server_check = now + SERVER_CHECK_SECONDS
                time.sleep(POLL_SECONDS)
        except SystemExit as exc:
            self.stop_all()
            return int(exc.code or 0)
        self.stop_all()
        return 0

    def stop_all(self) -> None:
        running = [p for p in self.programs if p.process is not None]
        for program in running:
            program.process.terminate()
        deadline = time.monotonic() + STOP_TIMEOUT
        for program in running:
            try:
                program.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self.say(f"{program.name} did not stop within {STOP_TIMEOUT:g} s; killing it")
                program.process.kill()
                program.process.wait(timeout=5)
            program.process = None
        self.write_pids()

    def on_signal(self, signum, frame) -> None:
        if not self.stopping:
            self.say(f"{signal.Signals(signum).name}: stopping {self.names()}")
        self.stopping = True

    def names(self) -> str:
        return ", ".join(p.name for p in self.programs)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops.supervise", description=__doc__)
    parser.add_argument("--run", type=Path, required=True, help="folder for logs and pids")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument(
        "--programs",
        type=lambda value: value.split(","),
        default=["web", "worker", "beat"],
        help="which of web,worker,beat to run",
    )
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--worker-concurrency", type=int, default=2)
    parser.add_argument("--servers", type=Path, help="the devstack state folder to watch")
    parser.add_argument("--only", default="", help="which servers to keep up, space-separated")
    args = parser.parse_args(argv)
    run = args.run.resolve()
    (run / "logs").mkdir(parents=True, exist_ok=True)
    supervisor = Supervisor(
        shop_programs(args, run / "logs"),
        run,
        args.servers.resolve() if args.servers else None,
        set(args.only.split()) & {"postgres", "redis"},
    )
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, supervisor.on_signal)
    supervisor.say(f"starting {supervisor.names()}")
    return supervisor.serve()


if __name__ == "__main__":
    sys.exit(main())
