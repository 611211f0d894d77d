"""Child process of the full-disk test: `python -m tests.reliability.diskfull WHAT TMPDIR`.

Sets up a data dir, then caps the size any file may grow to (RLIMIT_FSIZE, SIGXFSZ ignored,
so writes fail with EFBIG the way they fail with ENOSPC on a full disk), tries one write that
needs more room, and prints one JSON line: the error, whether it was a named PaperplanError,
whether the state before the write is intact, and SQLite's integrity check.
"""

from __future__ import annotations

import json
import resource
import signal
import sys
from pathlib import Path


def main(what: str, tmp: Path) -> dict[str, object]:
    from kb import papers
    from kb.errors import PaperplanError
    from kb.fakes import HashEmbedder
    from kb.types import Paper
    from paperplan.paths import DataPaths
    from paperplan.settings import Settings
    from paperplan.wiring import build_services

    svc = build_services(Settings(), DataPaths(tmp / "data"), embedder=HashEmbedder())
    papers.sync_topics(svc.db, svc.plan)
    papers.upsert_paper(svc.db, Paper(id="2501.00001", title="Before the disk filled", source="arxiv"))
    old_note = svc.notes.save("2501.00001", "my first thoughts", "", index=False)
    from tests.reliability.helpers import text_pdf

    big_pdf = text_pdf(tmp / "big.pdf", padding=2_000_000, seed=7)  # a valid PDF, 2 MB
    svc.db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    largest = max(p.stat().st_size for p in (tmp / "data").rglob("*") if p.is_file())
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (largest + 64_000, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))

    error: BaseException | None = None
    try:
        if what == "note":
            svc.notes.save("2501.00001", "x" * 2_000_000, old_note.hash, index=False)
        elif what == "database":
            papers.upsert_paper(svc.db, Paper(id="2501.00002", title="After", source="arxiv",
                                              abstract="y " * 1_000_000))
        elif what == "add-pdf":
            # `paperplan add` of a file too big for the disk, then one that fits: the first is
            # reported as failed with a named reason, the second is added.
            from paperplan.commands.ingest import run_add
            small = text_pdf(tmp / "small.pdf")
            report = run_add(svc, [big_pdf, small])
            added = [a["id"] for a in report.added]
            failed = [f["path"] for f in report.failed]
            if failed != [str(big_pdf)] or len(added) != 1:
                raise AssertionError(f"added {added}, failed {report.failed}")
            raise PaperplanError(f"reported: {report.failed[0]['reason']}")
        else:
            raise SystemExit(f"unknown scenario {what}")
    except BaseException as exc:  # the point: which type surfaces
        error = exc

    resource.setrlimit(resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    if what == "note":
        kept = "my first thoughts" in svc.notes.read("2501.00001").body
    elif what == "database":
        kept = papers.get_paper(svc.db, "2501.00001") is not None
    else:
        kept = not list(svc.paths.pdfs.glob("*.part")) and not list(svc.paths.pdfs.glob(".*"))
    return {
        "what": what,
        "error": type(error).__name__ if error else None,
        "message": str(error)[:300] if error else "",
        "named": isinstance(error, PaperplanError),
        "old_state_kept": kept,
        "integrity": svc.db.scalar("PRAGMA integrity_check"),
    }


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], Path(sys.argv[2]))))
