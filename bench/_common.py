"""Shared set-up of the benchmarks: Django on DATABASE_URL, in a throwaway database.

Each bench creates ``<database>_bench_<script>`` (a file next to the SQLite database), migrates
it, runs, and drops it: the Activity Log is append-only (a trigger refuses DELETE on
PostgreSQL), so a benchmark must never write a million rows into a real database.
"""

import email
import email.parser
import email.policy
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "commbilling.settings")
os.environ.setdefault("MEDIA_ROOT", tempfile.mkdtemp(prefix="commbilling-bench-media-"))
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402

from commbilling.celery import IO_QUEUE_SUFFIX  # noqa: E402


@contextmanager
def bench_database() -> Iterator[str]:
    settings_dict = connection.settings_dict
    script = Path(sys.argv[0]).stem  # two benchmarks can run at once
    if connection.vendor == "sqlite":
        name = str(Path(settings_dict["NAME"]).with_name(f"bench_{script}.sqlite3"))
    else:
        name = f"{settings_dict['NAME']}_bench_{script}"
    settings_dict.setdefault("TEST", {})["NAME"] = name
    old_name = settings_dict["NAME"]
    print(f"# {connection.vendor} database {name} (created for this run, dropped after)")
    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        yield name
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def timed(function: Callable[[], object], *, repeat: int = 7) -> float:
    """Median wall time of ``function`` in milliseconds, after one warm-up call."""
    function()
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def row(label: str, *values: str) -> None:
    print(f"{label:<44}" + "".join(f"{v:>18}" for v in values))


def metric(name: str, value: float, digits: int = 2) -> None:
    """One named figure, ``name: value`` on a line of its own (bench/run.py collects them)."""
    print(f"{name}: {value:.{digits}f}", flush=True)


def database_url() -> str:
    """The URL of the database the bench runs on (the throwaway one once created)."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return (
        f"postgres://{db['USER'] or ''}{password}@{db['HOST'] or 'localhost'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )


_HEADERS = email.parser.BytesHeaderParser(policy=email.policy.compat32)


@dataclass
class Sink:
    """An SMTP server's handler that keeps the Message-ID of each message it accepted.

    It stands in for a remote server but shares the machine's cores with what is measured,
    so it reads the headers only (a full MIME parse with the default policy cost ~2.5 ms
    of CPU per message, the PDF attachment included)."""

    message_ids: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope):
        parsed = _HEADERS.parsebytes(envelope.content)
        with self.lock:
            self.message_ids.append(str(parsed["Message-ID"]))
            return f"250 2.0.0 Ok: queued as B{len(self.message_ids):06d}"


def smtp_sink():
    """A local SMTP server (aiosmtpd) in a thread: (handler, controller, port)."""
    from aiosmtpd.controller import Controller

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    return sink, controller, port


class Workers:
    """The render and I/O workers of Procfile.dev, on this run's queues and database."""

    def __init__(self, queue: str, concurrency: int = 2) -> None:
        env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "CELERY_QUEUE": queue,
            "MEDIA_ROOT": str(settings.MEDIA_ROOT),
            "LOG_LEVEL": "WARNING",
        }
        self.logs = []
        self.processes = []
        for name, queues in (("render", queue), ("io", queue + IO_QUEUE_SUFFIX)):
            log = Path(tempfile.mkstemp(prefix=f"bench-{name}-", suffix=".log")[1])
            self.logs.append(log)
            command = [sys.executable, "-m", "celery", "-A", "commbilling", "worker", "-Q", queues]
            command += ["-c", str(concurrency), "-n", f"{name}-{queue}@%h", "-l", "info"]
            command += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
            self.processes.append(
                subprocess.Popen(
                    command,
                    cwd=ROOT,
                    env=env,
                    stdout=log.open("w"),
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
        deadline = time.monotonic() + 90
        while not all(" ready." in log.read_text(errors="replace") for log in self.logs):
            if time.monotonic() > deadline or any(p.poll() is not None for p in self.processes):
                raise RuntimeError("workers did not start:\n" + self.logs[0].read_text())
            time.sleep(0.2)

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        for log in self.logs:
            log.unlink(missing_ok=True)
