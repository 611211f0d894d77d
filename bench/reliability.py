"""`make reliability`: the whole reliability and security suite, with its figures.

1. Crash safety: the SIGKILL harness (tests/reliability/crash.py) kills `paperplan add`, quiz
   sessions and note saves 52 times and checks every next start.
2. Faults, concurrency, untrusted papers, secrets and bad input: the pytest suite in
   tests/reliability (hypothesis with more examples than in `make test`), run alongside.
3. The atheris fuzz pass over the plan parser, the arXiv Atom path, the config loader and
   the checks Ask runs on a reply over untrusted passages, bounded in time.

Prints one table (kills survived, faults injected, inputs fuzzed, failures), writes
bench/results/reliability-<stamp>.json and reliability-latest.json; exits 1 on any failure.
Environment: RELIABILITY_KILLS (kills for ingest,quiz,notes; default 12,20,20),
RELIABILITY_FUZZ_S (seconds per fuzz target, default 30), RELIABILITY_EXAMPLES (hypothesis
examples per property, default 300).
"""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import threading
import time
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.harness import RESULTS, print_table

REPO = Path(__file__).resolve().parent.parent
FUZZ_TARGETS = ("plan", "atom", "config", "reply")
# Which test files inject which kind of trouble (the rest is bad input and the short crash run).
CATEGORIES = {
    "test_faults.py": "faults", "test_chroma_server.py": "faults", "test_concurrency.py": "concurrency",
    "test_untrusted.py": "untrusted", "test_secrets.py": "secrets", "test_bad_input.py": "bad input",
    "test_crash_safety.py": "crash (short)",
}


def run_pytest(work: Path, examples: int, out: dict[str, Any]) -> None:
    junit = work / "junit.xml"
    env = {**os.environ, "RELIABILITY_EXAMPLES": str(examples), "RELIABILITY_FULL": "1", "PYTHONPATH": str(REPO)}
    started = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/reliability",
         "--deselect", "tests/reliability/test_crash_safety.py::test_a_few_kills_leave_a_consistent_kb",
         f"--junitxml={junit}", "--hypothesis-show-statistics"],
        cwd=REPO, env=env, capture_output=True, text=True)
    out["seconds"] = round(time.monotonic() - started, 1)
    out["exit"] = proc.returncode
    (work / "pytest.log").write_text(proc.stdout + proc.stderr, encoding="utf-8")
    cases: dict[str, dict[str, int]] = {}
    failed: list[str] = []
    if junit.exists():
        for case in ET.parse(junit).getroot().iter("testcase"):
            file = case.get("classname", "").rsplit(".", 1)[-1] + ".py"
            category = CATEGORIES.get(file, file)
            entry = cases.setdefault(category, {"passed": 0, "failed": 0, "skipped": 0})
            if case.find("failure") is not None or case.find("error") is not None:
                entry["failed"] += 1
                failed.append(f"{case.get('classname')}::{case.get('name')}")
            elif case.find("skipped") is not None:
                entry["skipped"] += 1
            else:
                entry["passed"] += 1
    elif proc.returncode:
        failed.append(f"pytest exited {proc.returncode}: {proc.stderr[-500:]}")
    out["cases"] = cases
    out["failed"] = failed
    # hypothesis prints, per property and phase: "- N passing, M failing, and K invalid test cases"
    out["hypothesis_examples"] = sum(int(a) + int(b) for a, b in
                                     re.findall(r"(\d+) passing, (\d+) failing", proc.stdout))


def run_crash(work: Path, kills: dict[str, int], out: dict[str, Any]) -> None:
    from tests.reliability.crash import run_crash_suite

    started = time.monotonic()
    report = run_crash_suite(work / "crash", kills,
                             log=lambda line: print(f"  crash: {line}", file=sys.stderr, flush=True))
    out.update(report.to_json())
    out["seconds"] = round(time.monotonic() - started, 1)


def run_fuzz(work: Path, seconds: int) -> dict[str, Any]:
    result: dict[str, Any] = {"targets": {}, "executions": 0, "crashes": []}
    for target in FUZZ_TARGETS:
        started = time.monotonic()
        proc = subprocess.run([sys.executable, "-m", "tests.reliability.fuzz", target, str(seconds), str(work)],
                              cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True,
                              text=True, timeout=seconds + 300)
        (work / f"fuzz-{target}.log").write_text(proc.stdout + proc.stderr, encoding="utf-8")
        runs = re.findall(r"stat::number_of_executed_units:\s*(\d+)", proc.stderr) or \
            re.findall(r"Done (\d+) runs", proc.stderr)
        executed = int(runs[-1]) if runs else 0
        crashed = proc.returncode != 0
        if crashed:
            cause = re.findall(r"^(\w+(?:Error|Exception)\b.*)$", proc.stderr, re.M)
            artifact = re.findall(r"Test unit written to (\S+)", proc.stderr)
            result["crashes"].append(f"{target}: {cause[0] if cause else 'exit ' + str(proc.returncode)}"
                                     + (f" (input: {artifact[0]})" if artifact else ""))
        result["targets"][target] = {"executions": executed, "crashed": crashed,
                                     "seconds": round(time.monotonic() - started, 1)}
        result["executions"] += executed
    return result


def main() -> int:
    # An ingest run costs the most to start (PDF worker, vector store): fewer of those kills.
    kills = dict(zip(("ingest", "quiz", "notes"),
                     (int(k) for k in os.environ.get("RELIABILITY_KILLS", "12,20,20").split(",")), strict=True))
    fuzz_s = int(os.environ.get("RELIABILITY_FUZZ_S", "30"))
    examples = int(os.environ.get("RELIABILITY_EXAMPLES", "300"))
    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="paperplan-reliability-"))
    print(f"reliability suite: working in {work}", file=sys.stderr, flush=True)
    crash: dict[str, Any] = {}
    tests: dict[str, Any] = {}
    # The crash harness mostly waits on its subprocesses: the pytest suite runs alongside.
    threads = [threading.Thread(target=run_crash, args=(work, kills, crash), name="crash"),
               threading.Thread(target=run_pytest, args=(work, examples, tests), name="pytest")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    fuzz = run_fuzz(work, fuzz_s)

    cases = tests.get("cases", {})
    faults = sum(v["passed"] + v["failed"] for k, v in cases.items() if k in ("faults", "concurrency"))
    security = sum(v["passed"] + v["failed"] for k, v in cases.items() if k in ("untrusted", "secrets"))
    fuzzed = fuzz["executions"] + tests.get("hypothesis_examples", 0)
    # Litter (files a kill left that nothing removes) is a defect too, though not an inconsistency.
    failures = [*crash.get("failures", []), *crash.get("litter", []), *tests.get("failed", []), *fuzz["crashes"]]
    per_target = ", ".join(f"{name} {data['executions']}" for name, data in fuzz["targets"].items())
    rows = [
        {"metric": "kills (SIGKILL)", "value": crash.get("kills", 0), "unit": "", "goal": "≥ 50",
         "ok": crash.get("kills", 0) >= 50, "note": f"by point: {crash.get('by_point')}"},
        {"metric": "kills survived (next start consistent)", "value": crash.get("survived", 0), "unit": "",
         "goal": "= kills", "ok": crash.get("survived", 0) == crash.get("kills", -1),
         "note": f"by workload: {crash.get('by_workload')}; the next starts repaired {crash.get('repaired')}"},
        {"metric": "files left behind by kills", "value": len(crash.get("litter", [])), "unit": "",
         "goal": "0", "ok": not crash.get("litter")},
        {"metric": "faults injected (scenarios)", "value": faults, "unit": "", "goal": "", "ok": None,
         "note": "arXiv, PDFs, full disk, LLM, Chroma server, concurrent writers"},
        {"metric": "untrusted-input and secrets cases", "value": security, "unit": "", "goal": "", "ok": None},
        {"metric": "inputs fuzzed", "value": fuzzed, "unit": "", "goal": "", "ok": None,
         "note": f"atheris {fuzz['executions']} ({per_target}) + hypothesis {tests.get('hypothesis_examples', 0)}"},
        {"metric": "failures", "value": len(failures), "unit": "", "goal": "0", "ok": not failures},
        {"metric": "wall time", "value": round(time.monotonic() - started, 1), "unit": "s", "goal": "< 900",
         "ok": time.monotonic() - started < 900},
    ]
    report = {
        "kind": "reliability", "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"python": sys.version.split()[0], "platform": platform.platform(), "cpus": os.cpu_count()},
        "sections": {"reliability": {"rows": rows, "seconds": rows[-1]["value"], "error": None}},
        "crash": crash, "tests": tests, "fuzz": fuzz, "failures": failures, "workdir": str(work),
    }
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = RESULTS / f"reliability-{stamp}.json"
    text = json.dumps(report, indent=2, ensure_ascii=False, default=str)
    out.write_text(text, encoding="utf-8")
    (RESULTS / "reliability-latest.json").write_text(text, encoding="utf-8")
    print_table(report)
    for failure in failures:
        print(f"FAILURE: {failure}")
    print(f"\nwritten: {out}")
    if failures:
        print(f"kept for inspection: {work}")
    else:
        import shutil

        shutil.rmtree(work, ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
