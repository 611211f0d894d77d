"""Child processes of the concurrency test: `python -m tests.reliability.concurrent ROLE WORKDIR`.

add: a manual `paperplan add` of every PDF in WORKDIR/in (run_add, under the ingest lock).
tui: what the TUI does meanwhile, through the same data access: library and paper queries,
     quiz answers and note saves (SQLite and the vector store), until WORKDIR/stop appears.
service: the service's nightly job (refused the lock while the manual ingest holds it), then
     the weekly job (recommendations and the digest: more writes at the same time).
Both use the hash embedder (the test-only hook) and print one JSON line of what they did.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace


def services() -> object:
    from kb.fakes import HashEmbedder
    from paperplan.wiring import build_services

    svc = build_services(embedder=HashEmbedder())
    svc.__dict__["llm"] = SimpleNamespace(capable=False, name="none")
    return svc


def add(work: Path) -> dict[str, object]:
    from paperplan.commands.ingest import run_add

    svc = services()
    report = run_add(svc, sorted((work / "in").glob("*.pdf")))  # type: ignore[arg-type]
    return {"added": len(report.added), "failed": report.failed}


def tui(work: Path) -> dict[str, object]:
    from tui import queries

    svc: object = services()
    db, plan, quiz, notes = svc.db, svc.plan, svc.quiz, svc.notes  # type: ignore[attr-defined]
    reads = reviews = saves = 0
    deadline = time.monotonic() + 120
    n = 0
    while not (work / "stop").exists() and time.monotonic() < deadline:
        n += 1
        rows = queries.library_rows(db, plan)
        for row in rows[:3]:
            queries.paper_detail(db, row.id)
        queries.history(db, 7, datetime.now(UTC))
        reads += 1
        for card in quiz.session(datetime.now(UTC), count=2):
            quiz.answer(card, "a", datetime.now(UTC))
            reviews += 1
        note = notes.read("journal")
        notes.save("journal", f"Journal entry {n}: read while ingesting.", note.hash)
        saves += 1
        time.sleep(0.05)
    return {"reads": reads, "reviews": reviews, "saves": saves}


def service(work: Path) -> dict[str, object]:
    """The service's jobs as the scheduler runs them: nightly (ingest under the lock, then
    cards) once the manual ingest holds the lock, then weekly (recommendations and digest)."""
    from kb.errors import PaperplanError
    from kb.locks import read_holder
    from paperplan.jobs import run_job

    svc: object = services()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        holder = read_holder(work / "data") or {}
        if holder.get("holder") == "paperplan add" and holder.get("doing") != "finished":
            break
        time.sleep(0.05)
    out: dict[str, object] = {}
    try:
        out["nightly"] = run_job(svc, "nightly")  # type: ignore[arg-type]
    except PaperplanError as exc:
        out["nightly_error"] = str(exc)
    out["weekly"] = run_job(svc, "weekly")  # type: ignore[arg-type]
    return out


if __name__ == "__main__":
    role, work = sys.argv[1], Path(sys.argv[2])
    print(json.dumps({"add": add, "tui": tui, "service": service}[role](work), default=str))
