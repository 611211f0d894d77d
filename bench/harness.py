"""Runs every bench/<kind>_*.py module's `run()`, prints one table, writes JSON.

Each module's `run()` returns a list of rows: {"metric", "value", "unit", "goal", "ok", "note"}.
`goal` is a human-readable target ("≥ 0.75"); `ok` is True/False/None (None: no goal).
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import platform
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def run_all(kind: str, only: list[str]) -> int:
    import bench

    modules = sorted(m.name for m in pkgutil.iter_modules(bench.__path__) if m.name.startswith(f"{kind}_"))
    if only:
        modules = [m for m in modules if any(o in m for o in only)]
    report: dict[str, Any] = {
        "kind": kind, "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"python": sys.version.split()[0], "platform": platform.platform(), "cpus": _cpus()},
        "sections": {},
    }
    failed = 0
    for name in modules:
        started = time.perf_counter()
        print(f"… {name}", file=sys.stderr, flush=True)
        try:
            rows = importlib.import_module(f"bench.{name}").run()
            error = None
        except Exception:
            rows, error = [], traceback.format_exc()
            failed += 1
            print(error, file=sys.stderr)
        report["sections"][name] = {"rows": rows, "seconds": round(time.perf_counter() - started, 1),
                                    "error": error}
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = RESULTS / f"{kind}-{stamp}.json"
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    (RESULTS / f"{kind}-latest.json").write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    print_table(report)
    print(f"\nwritten: {out}")
    return 1 if failed else 0


def _cpus() -> int:
    import os

    return os.cpu_count() or 0


def print_table(report: dict[str, Any]) -> None:
    header = f"{'section':<22} {'metric':<44} {'value':>12} {'unit':<8} {'goal':<14} ok"
    print(header)
    print("-" * len(header))
    for section, data in report["sections"].items():
        if data["error"]:
            print(f"{section:<22} {'ERROR (see stderr)':<44}")
        for row in data["rows"]:
            value = row.get("value")
            shown = f"{value:.3f}" if isinstance(value, float) else str(value)
            ok = {True: "yes", False: "NO", None: ""}[row.get("ok")]
            print(f"{section:<22} {row['metric']:<44} {shown:>12} {row.get('unit', ''):<8} "
                  f"{row.get('goal', ''):<14} {ok}")
            if row.get("note"):
                print(f"{'':<22}   {row['note']}")
