"""./dev bench-scale's summary: each run's figures (DIR/w*-r*/figures.json) as a table, the
median of the runs with the same number of workers, and every figure as JSON (OUT)."""

import glob
import json
import os
import statistics
import sys


def median(runs, *path):
    values = []
    for run in runs:
        value = run
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        if isinstance(value, (int, float)):
            values.append(value)
    return statistics.median(values) if values else None


COLUMNS = [
    ("events", ("verdicts", "kept"), "{:.0f}"),
    ("workers", ("workers",), "{:.0f}"),
    ("ingest/s", ("ingest", "events_per_sec"), "{:.0f}"),
    ("ingest p99 ms", ("ingest", "request_p99_ms"), "{:.0f}"),
    ("verdicts/s", ("verdicts", "per_sec"), "{:.0f}"),
    ("e2e p50 ms", ("verdicts", "end_to_end_p50_ms"), "{:.0f}"),
    ("e2e p99 ms", ("verdicts", "end_to_end_p99_ms"), "{:.0f}"),
    ("worker CPU ms/verdict", ("cpu_ms_per_verdict", "workers"), "{:.3f}"),
    ("PG rows/verdict", ("postgres", "per_verdict", "rows_written"), "{:.2f}"),
    ("PG xacts/verdict", ("postgres", "per_verdict", "transactions"), "{:.3f}"),
    ("WAL B/verdict", ("postgres", "per_verdict", "wal_bytes"), "{:.0f}"),
    ("state B/user", ("state", "bytes_per_user"), "{:.0f}"),
    ("stream B/event", ("stream", "bytes_per_event"), "{:.0f}"),
]


def main(directory, out):
    runs = []
    for path in sorted(glob.glob(os.path.join(directory, "w*-r*", "figures.json"))):
        with open(path) as file:
            runs.append(json.load(file))
    if not runs:
        sys.exit(f"no figures in {directory}")
    by_workers = {}
    for run in runs:
        by_workers.setdefault(run["workers"], []).append(run)
    medians = []
    for workers, group in sorted(by_workers.items()):
        row = {"runs": len(group)}
        for name, path, _ in COLUMNS:
            row[name] = median(group, *path)
        medians.append(row)
    widths = [max(len(name), 8) for name, _, _ in COLUMNS]
    print("  ".join(name.rjust(width) for (name, _, _), width in zip(COLUMNS, widths)) + "  runs")
    for row in medians:
        cells = []
        for (name, _, form), width in zip(COLUMNS, widths):
            value = row[name]
            cells.append(("-" if value is None else form.format(value)).rjust(width))
        print("  ".join(cells) + f"  {row['runs']:>4}")
    os.makedirs(os.path.dirname(out) or ".", exist_ok=True)
    with open(out, "w") as file:
        json.dump({"medians": medians, "runs": runs}, file, indent=2)
        file.write("\n")
    print(f"medians of the runs per worker count; every figure in {out}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
