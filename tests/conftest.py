"""Shared fixtures: users per role, logged-in clients, a real Celery worker.

The suite runs against whatever DATABASE_URL / CELERY_BROKER_URL say (PostgreSQL and
Redis in CI; SQLite and the filesystem broker by default). Each run uses its own queue
and media folder, so parallel runs and a `make run` on the same machine never mix.
"""

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import Q
from django.test import Client
from django.utils import timezone, translation

from accounts.models import Role
from commbilling.celery import IO_QUEUE_SUFFIX
from tests import factories

ROOT = Path(__file__).resolve().parent.parent
TEST_QUEUE = f"test-{uuid.uuid4().hex[:10]}"
# Tasks sent by tests that have no worker go to a queue nobody consumes: otherwise the
# session worker would run them while the next test flushes the database.
UNCONSUMED_QUEUE = f"{TEST_QUEUE}-unconsumed"
TEST_MEDIA = Path(tempfile.mkdtemp(prefix="commbilling-media-"))
# Short backoff so that retried tests finish in seconds; the same values reach the worker.
TEST_AUTOMATION = {
    "MAX_ATTEMPTS": 3,
    "BACKOFF_BASE_SECONDS": 0.2,
    "BACKOFF_MAX_SECONDS": 0.5,
    "STUCK_AFTER_SECONDS": 360,
}

settings.CELERY_TASK_DEFAULT_QUEUE = UNCONSUMED_QUEUE
settings.MEDIA_ROOT = TEST_MEDIA
settings.AUTOMATION = TEST_AUTOMATION
settings.INCIDENT_EMAILS = False
# This run's own cache keys (the alert bar's versions), shared with its workers.
TEST_CACHE_PREFIX = TEST_QUEUE
for _cache in settings.CACHES.values():
    _cache["KEY_PREFIX"] = TEST_CACHE_PREFIX
# The product is French first; its tests read English, the source language of the
# messages. French rendering has tests of its own (tests/accounts/test_i18n.py).
settings.LANGUAGE_CODE = "en"
# Hashing passwords properly costs ~0.3 s per user; tests create hundreds.
settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def pytest_collection_modifyitems(config, items) -> None:
    """A test marked ``postgresql`` (a trigger, a role, real concurrent transactions) is
    skipped on another database. ``make test`` on PostgreSQL runs the modules whose code
    takes other paths on SQLite there too, with ``-m "not postgresql"``: deselected, not
    skipped."""
    if connection.vendor == "postgresql":
        return
    for item in items:
        marker = item.get_closest_marker("postgresql")
        if marker is not None:
            item.add_marker(pytest.mark.skip(reason=marker.kwargs.get("reason", "PostgreSQL")))


def pytest_sessionfinish(session, exitstatus) -> None:
    shutil.rmtree(TEST_MEDIA, ignore_errors=True)
    from commbilling.celery import app

    try:
        with app.connection_for_write() as conn:
            for queue in (UNCONSUMED_QUEUE, UNCONSUMED_QUEUE + IO_QUEUE_SUFFIX):
                conn.default_channel.queue_purge(queue)
    except Exception:  # noqa: S110 -- best effort: the broker may be gone already
        pass


def wait_for(predicate: Callable[[], object], *, timeout: float = 30, interval: float = 0.1):
    """Poll until ``predicate()`` is truthy; return its value or fail with a clear message."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s: {predicate}")
        time.sleep(interval)


def run_queued(*, rounds: int = 20) -> int:
    """Run, in this process, the task of every queued record of every declared process
    (and of the records those create), as a worker would: through the real runner, with
    automatic retries run at once. A record held until a later time (waiting for a
    service to answer) is left queued. Returns how many tasks ran."""
    from activity import processes

    ran = 0
    for _ in range(rounds):
        queued = [
            (process, record)
            for process in processes.all_processes()
            for record in process.model.tracked()
            .filter(status=process.model.STATUS_QUEUED)
            .filter(Q(next_retry_at__isnull=True) | Q(next_retry_at__lte=timezone.now()))
        ]
        if not queued:
            return ran
        for process, record in queued:
            process.task.apply(args=[record.pk], task_id=record.task_id)
            ran += 1
    raise AssertionError(f"records still queued after {rounds} rounds")


# --- Users and clients ------------------------------------------------------------


@pytest.fixture(autouse=True)
def _language_of_each_test_is_its_own():
    """A request activates its language (LocaleMiddleware) and nothing deactivates it:
    without this, a test's messages would depend on the tests run before it."""
    language = translation.get_language()
    yield
    translation.activate(language)


@pytest.fixture
def organisation():
    return factories.OrganisationFactory()


@pytest.fixture
def other_organisation():
    return factories.OrganisationFactory()


@pytest.fixture
def accountant(organisation):
    return factories.UserFactory(organisation=organisation, role=Role.ACCOUNTANT)


@pytest.fixture
def other_accountant(other_organisation):
    return factories.UserFactory(organisation=other_organisation, role=Role.ACCOUNTANT)


@pytest.fixture
def support_user():
    return factories.UserFactory(organisation=None, role=Role.SUPPORT)


@pytest.fixture
def admin_user(organisation):
    return factories.UserFactory(organisation=organisation, role=Role.ADMIN)


def _client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def accountant_client(accountant) -> Client:
    return _client_for(accountant)


@pytest.fixture
def other_accountant_client(other_accountant) -> Client:
    return _client_for(other_accountant)


@pytest.fixture
def support_client(support_user) -> Client:
    return _client_for(support_user)


@pytest.fixture
def admin_client_org(admin_user) -> Client:
    return _client_for(admin_user)


HTMX = {"HX-Request": "true"}


# --- A real Celery worker -----------------------------------------------------------


class WorkerProcess:
    """A `celery worker` subprocess on this run's queue and test database."""

    def __init__(
        self, *, concurrency: int = 2, name: str = "w", queue: str = TEST_QUEUE, extra_env=None
    ) -> None:
        self.queue = queue
        self.log_path = Path(tempfile.mkstemp(prefix=f"celery-{name}-", suffix=".log")[1])
        env = {**os.environ, **worker_env(), "CELERY_QUEUE": queue, **(extra_env or {})}
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "tests.celery_app",
                "worker",
                "-Q",
                f"{queue},{queue}{IO_QUEUE_SUFFIX}",  # rendering and I/O tasks alike
                "-c",
                str(concurrency),
                "--pool",
                "prefork",
                "-n",
                f"{name}-{uuid.uuid4().hex[:6]}@%h",
                "-l",
                "info",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log_path.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_for(self._ready, timeout=60, interval=0.2)

    def _ready(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"worker exited early:\n{self.log()}")
        return " ready." in self.log()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def idle(self) -> bool:
        """Every task it received has ended (a retry ends one delivery; the next one is
        received again)."""
        log = self.log()
        received = len(re.findall(r"Task \S+\[[\w-]+\] received", log))
        ended = len(re.findall(r"Task \S+\[[\w-]+\] (?:succeeded|retry:|raised)", log))
        return ended >= received

    def kill(self) -> None:
        """SIGKILL the whole worker (main process and pool children)."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                # Idle by then; with the filesystem broker a warm shutdown can linger for
                # 15 s after the pool has exited, for nothing the tests need.
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.kill()


def worker_env() -> dict[str, str]:
    """Environment for a worker that sees exactly what the tests see."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        database_url = f"sqlite:///{db['NAME']}"
    else:
        user = db["USER"] or ""
        password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
        database_url = (
            f"postgres://{user}{password}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}"
            f"/{db['NAME']}"
        )
    return {
        "DJANGO_SETTINGS_MODULE": "commbilling.settings",
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_QUEUE": TEST_QUEUE,
        "MEDIA_ROOT": str(TEST_MEDIA),
        "AUTOMATION_MAX_ATTEMPTS": str(TEST_AUTOMATION["MAX_ATTEMPTS"]),
        "AUTOMATION_BACKOFF_BASE_SECONDS": str(TEST_AUTOMATION["BACKOFF_BASE_SECONDS"]),
        "AUTOMATION_BACKOFF_MAX_SECONDS": str(TEST_AUTOMATION["BACKOFF_MAX_SECONDS"]),
        "AUTOMATION_STUCK_AFTER_SECONDS": str(TEST_AUTOMATION["STUCK_AFTER_SECONDS"]),
        "DB_CONN_MAX_AGE": "0",
        # Tests that need them start workers with heartbeats and incident e-mails on.
        "HEARTBEAT_SECONDS": "0",
        "CACHE_KEY_PREFIX": TEST_CACHE_PREFIX,
        "INCIDENT_EMAILS": "false",
    }


@pytest.fixture(scope="session")
def session_worker(django_db_setup, django_db_blocker) -> Iterator[WorkerProcess]:
    worker = WorkerProcess(name="session")
    yield worker
    worker.stop()


@pytest.fixture
def celery_worker(session_worker, settings) -> Iterator[WorkerProcess]:
    """The session's worker, and this test's tasks sent to it. Tests using it need
    django_db(transaction=True)."""
    settings.CELERY_TASK_DEFAULT_QUEUE = TEST_QUEUE
    yield session_worker
    # Follow-up tasks (an e-mail after a refund, a scheduled retry) must end before the
    # database is flushed under them.
    with contextlib.suppress(AssertionError):
        wait_for(session_worker.idle, timeout=20, interval=0.2)


@pytest.fixture
def start_worker(django_db_setup, settings) -> Iterator[Callable[..., WorkerProcess]]:
    """Start dedicated workers (to kill them) on a queue of this test's own, which the
    code under test then sends to; all are stopped after the test."""
    started: list[WorkerProcess] = []
    queue = f"{TEST_QUEUE}-{uuid.uuid4().hex[:6]}"
    settings.CELERY_TASK_DEFAULT_QUEUE = queue

    def start(**kwargs) -> WorkerProcess:
        worker = WorkerProcess(queue=queue, **kwargs)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    """In CI (COMMBILLING_FORBID_SKIPS=1) a skipped test is a failure: every service and
    the browser must be there."""
    skipped = terminalreporter.stats.get("skipped", [])
    if os.environ.get("COMMBILLING_FORBID_SKIPS") == "1" and skipped:
        terminalreporter.write_line(f"{len(skipped)} test(s) skipped: not allowed in CI", red=True)
        terminalreporter._session.exitstatus = 1
