"""`make run`'s supervisor (scripts/run): every process up on the ports asked for, and
Ctrl-C stops them all cleanly with exit status 0."""

import os
import signal
import smtplib
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.conftest import ROOT, wait_for

SCRIPT = ROOT / "scripts" / "run"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(procfile: Path, env: dict[str, str], log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(SCRIPT), str(procfile)],
        cwd=ROOT,
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def _smtp_answers(port: int) -> bool:
    try:
        with smtplib.SMTP("127.0.0.1", port, timeout=2) as smtp:
            return smtp.noop()[0] == 250
    except OSError:
        return False


def _alive(pid: int) -> bool:
    try:
        os.killpg(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_ctrl_c_stops_web_workers_beat_mail_sink_and_platform_cleanly(tmp_path):
    port, mail_port, platform_port = _free_port(), _free_port(), _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL")},
        "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}",
        "PORT": str(port),
        "MAIL_PORT": str(mail_port),
        "PLATFORM_PORT": str(platform_port),
        "COMMBILLING_VAR_DIR": str(tmp_path),  # its own SQLite file and filesystem broker
        "CELERY_QUEUE": f"run-test-{port}",
    }
    log = tmp_path / "run.log"
    run = _start(ROOT / "Procfile.dev", env, log)
    try:
        wait_for(lambda: _answers(f"http://127.0.0.1:{port}/favicon.ico"), timeout=90)
        wait_for(lambda: _smtp_answers(mail_port), timeout=30)
        # The local e-invoicing platform the demo transmits to.
        wait_for(
            lambda: f"platform on http://127.0.0.1:{platform_port}" in log.read_text(), timeout=30
        )
        wait_for(lambda: log.read_bytes().count(b"ready.") >= 2, timeout=90)  # both workers
        wait_for(lambda: b"beat: Starting" in log.read_bytes(), timeout=30)
        pids = [int(line.split(b"(pid ")[1].split(b")")[0]) for line in
                log.read_bytes().splitlines() if b"| started (pid" in line]  # fmt: skip
        assert len(pids) == 6

        started = time.monotonic()
        run.send_signal(signal.SIGINT)
        status = run.wait(timeout=30)
        took = time.monotonic() - started
    finally:
        if run.poll() is None:  # a failed wait: let the supervisor stop what it started
            run.terminate()
            run.wait(timeout=30)
    output = log.read_text(errors="replace")

    assert status == 0, output[-3000:]
    assert took < 20, f"stopping took {took:.1f} s"
    assert "Warm shutdown" in output
    assert "killed" not in output
    assert not [pid for pid in pids if _alive(pid)]


def test_a_process_that_dies_stops_the_others_with_status_1(tmp_path):
    procfile = tmp_path / "Procfile"
    procfile.write_text("sleeper: sleep 60\ncrasher: sh -c 'echo broken; exit 3'\n")

    run = _start(procfile, dict(os.environ), tmp_path / "run.log")

    assert run.wait(timeout=20) == 1
    output = (tmp_path / "run.log").read_text()
    assert "crasher | broken" in output
    assert "crasher | exited with status 3: stopping the others" in output


def test_a_process_that_ignores_sigterm_is_killed_after_the_timeout(tmp_path):
    procfile = tmp_path / "Procfile"
    procfile.write_text("stubborn: sh -c \"trap '' TERM; echo up; sleep 60 & wait\"\n")
    log = tmp_path / "run.log"

    run = _start(procfile, {**os.environ, "STOP_TIMEOUT": "1"}, log)
    wait_for(lambda: b"stubborn | up" in log.read_bytes())
    run.send_signal(signal.SIGINT)

    assert run.wait(timeout=20) == 1
    assert "still running after 1 s: killed" in log.read_text()
