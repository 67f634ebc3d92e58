"""Shared set-up of the benchmarks: Django on DATABASE_URL, in a throwaway database.

Each bench creates ``<database>_bench`` (a file next to the SQLite database), migrates
it, runs, and drops it: the Activity Log is append-only (a trigger refuses DELETE on
PostgreSQL), so a benchmark must never write a million rows into a real database.
"""

import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "commbilling.settings")
os.environ.setdefault("MEDIA_ROOT", tempfile.mkdtemp(prefix="commbilling-bench-media-"))
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402


@contextmanager
def bench_database() -> Iterator[str]:
    settings_dict = connection.settings_dict
    if connection.vendor == "sqlite":
        name = str(Path(settings_dict["NAME"]).with_name("bench.sqlite3"))
    else:
        name = f"{settings_dict['NAME']}_bench"
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
