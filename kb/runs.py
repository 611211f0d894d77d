"""Runs of unattended work (init, ingest, nightly, digest…) recorded in the KB."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from kb.db import Database, utc_now


@contextmanager
def record_run(db: Database, kind: str) -> Iterator[dict[str, Any]]:
    """Record a run's start now and its end, outcome and summary when the block exits.

    The caller fills the yielded dict; an exception marks the run failed with its message
    and is re-raised.
    """
    with db.transaction() as conn:
        run_id = conn.execute("INSERT INTO runs (kind, started) VALUES (?, ?)", (kind, utc_now())).lastrowid
    summary: dict[str, Any] = {}
    ok = False
    try:
        yield summary
        ok = True
    except BaseException as exc:
        summary["error"] = f"{type(exc).__name__}: {exc}"
        raise
    finally:
        with db.transaction() as conn:
            conn.execute("UPDATE runs SET finished = ?, ok = ?, summary = ? WHERE id = ?",
                         (utc_now(), int(ok), json.dumps(summary, ensure_ascii=False, default=str), run_id))


def last_run(db: Database, kind: str) -> dict[str, Any] | None:
    rows = db.query("SELECT * FROM runs WHERE kind = ? ORDER BY id DESC LIMIT 1", (kind,))
    if not rows:
        return None
    run = dict(rows[0])
    run["summary"] = json.loads(run["summary"])
    return run


def get_watermark(db: Database, source: str) -> str | None:
    value = db.scalar("SELECT value FROM watermarks WHERE source = ?", (source,))
    return str(value) if value is not None else None


def set_watermark(db: Database, source: str, value: str) -> None:
    with db.transaction() as conn:
        conn.execute(
            "INSERT INTO watermarks (source, value, updated_at) VALUES (?, ?, ?)"
            " ON CONFLICT(source) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
            (source, value, utc_now()),
        )
