"""ops.supervise on its own: backoff, the reason logged, giving up on a program that
cannot start, and stopping its programs on SIGTERM. (tests/faults runs it with the real
web server, worker and beat.)"""

import signal
import subprocess
import sys
import time
from pathlib import Path

from ops import supervise


def supervisor(tmp_path: Path, *argvs: list[str]) -> supervise.Supervisor:
    (tmp_path / "logs").mkdir()
    programs = [
        supervise.Program(f"p{index}", argv, tmp_path / "logs" / f"p{index}.log")
        for index, argv in enumerate(argvs)
    ]
    return supervise.Supervisor(programs, tmp_path, servers=None, only=set())


def test_a_program_that_keeps_failing_at_start_is_given_up_with_its_reason(tmp_path, monkeypatch):
    monkeypatch.setattr(supervise, "FIRST_BACKOFF", 0.05)
    failing = [sys.executable, "-c", "import sys; print('bad setting'); sys.exit(3)"]
    sleeping = [sys.executable, "-c", "import time; time.sleep(60)"]
    watcher = supervisor(tmp_path, failing, sleeping)

    started = time.monotonic()
    status = watcher.serve()

    assert status == 1
    assert time.monotonic() - started < 10
    log = (tmp_path / "logs" / "supervisor.log").read_text()
    assert "p0 exited with status 3 after running" in log
    assert "starting it again in 0.05 s (restart 1" in log
    assert "starting it again in 0.1 s (restart 2" in log
    assert "5 times in a row: giving up" in log
    assert (tmp_path / "logs" / "p0.log").read_text().count("bad setting") == 5
    # The others were stopped with it.
    assert watcher.programs[1].process is None


def test_sigterm_stops_every_program(tmp_path):
    (tmp_path / "logs").mkdir()
    process = subprocess.Popen(
        [sys.executable, "-m", "ops.supervise", "--run", str(tmp_path), "--programs", "beat"],
        stderr=subprocess.PIPE,
        text=True,
    )
    pids = tmp_path / "pids.json"
    deadline = time.monotonic() + 20
    while '"beat"' not in (pids.read_text() if pids.exists() else ""):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    process.send_signal(signal.SIGTERM)

    assert process.wait(timeout=30) == 0
    assert pids.read_text() == f'{{"supervisor": {process.pid}}}'
    assert "SIGTERM: stopping beat" in process.stderr.read()
