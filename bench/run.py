"""``make bench``: every benchmark, then the issue's figures one per line (``name: value``).

    BENCH_SCALE=small (default, a few minutes) | full (the sizes of issue 15)

Each benchmark runs in its own process, in a throwaway database next to DATABASE_URL's
(use PostgreSQL and Redis for meaningful figures). A figure a benchmark did not print is
reported as missing and the run fails.
"""

import os
import re
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
METRICS = [
    "pipeline_vs_bare_ratio",
    "naive_vs_pipeline_speedup",
    "batch_gen_rate_per_s",
    "batch_gen_email_rate_per_s",
    "batch_rate_vs_limit_ratio",
    "sql_per_invoice",
    "dashboard_median_ms",
    "poll_median_ms",
    "poll_cpu_ms",
    "dashboard_growth_ratio",
    # Ours, printed after the issue's: the pipeline over WeasyPrint writing the same
    # Factur-X file (PDF/A-3 with its XML) alone; the per-invoice work any design must do
    # over the floor, and naive over it (the best the first two figures can be).
    "pipeline_vs_same_file_ratio",
    "required_vs_bare_ratio",
    "naive_vs_required_speedup",
    # The batch's ceiling (bench/pipeline.py): WeasyPrint alone, then the required work,
    # then with each PDF e-mailed, in two processes with no SQL and no bookkeeping, against
    # the same limit as batch_rate_vs_limit_ratio (the best it can be, for any design).
    "bare_batch_rate_vs_limit_ratio",
    "two_process_scaling",
    "required_batch_rate_vs_limit_ratio",
    "required_batch_email_rate_vs_limit_ratio",
]
SCALES = {
    # script: arguments
    "small": {
        "pdf_render.py": ["5"],
        "activity_log.py": ["100000"],
        "invoice_list.py": ["20000"],
        "pipeline.py": ["100", "8"],
        "dashboard_growth.py": ["100000", "10000", "50000"],
        "poll.py": ["2000"],
    },
    "full": {
        "pdf_render.py": ["20"],
        "activity_log.py": ["1000000"],
        "invoice_list.py": ["100000"],
        "pipeline.py": ["1000", "20"],
        "dashboard_growth.py": ["1000000", "100000", "500000"],
        "poll.py": ["10000"],
    },
}
LINE = re.compile(r"^([a-z_]+): (-?[0-9.]+)$")


def main() -> int:
    scale = os.environ.get("BENCH_SCALE", "small")
    if scale not in SCALES:
        print(f"BENCH_SCALE must be one of {', '.join(SCALES)}, not {scale!r}")
        return 2
    found: dict[str, str] = {}
    failed = []
    started = time.monotonic()
    scripts = dict(SCALES[scale])
    if (HERE / "poll.py").exists():  # the alert bar's own benchmark (poll_* figures)
        scripts["poll.py"] = ["2000"] if scale == "small" else ["10000"]
    for script, arguments in scripts.items():
        print(f"\n## {script} {' '.join(arguments)}", flush=True)
        process = subprocess.Popen(
            [sys.executable, str(HERE / script), *arguments],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            cwd=HERE.parent,
        )
        assert process.stdout is not None
        for line in process.stdout:
            print(line, end="", flush=True)
            match = LINE.match(line.strip())
            if match and not (match.group(1) in found and script != "poll.py"):
                found[match.group(1)] = match.group(2)
        if process.wait():
            failed.append(script)
    print(f"\n## figures (BENCH_SCALE={scale}, {time.monotonic() - started:.0f}s)")
    for name in METRICS:
        print(f"{name}: {found.get(name, 'MISSING')}")
    missing = [name for name in METRICS if name not in found]
    if failed or missing:
        print(f"# failed: {', '.join(failed) or 'none'}; missing: {', '.join(missing) or 'none'}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
