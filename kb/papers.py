"""Reading and writing papers, topic assignments, chunks and reading state in SQLite."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable

from kb.db import Database, utc_now
from kb.plan import Plan
from kb.types import Chunk, Paper, TopicAssignment

_JSON_FIELDS = ("authors", "categories")
_PAPER_COLUMNS = (
    "id", "version", "title", "authors", "abstract", "categories", "primary_category", "published",
    "updated", "comment", "journal_ref", "doi", "venue", "url", "pdf_url", "pdf_path", "source",
    "kind", "plan_resource", "fulltext", "fulltext_error",
)


def paper_from_row(row: sqlite3.Row) -> Paper:
    data = {k: row[k] for k in _PAPER_COLUMNS}
    for k in _JSON_FIELDS:
        data[k] = json.loads(data[k])
    data["plan_resource"] = bool(data["plan_resource"])
    return Paper(**data)


def _paper_values(paper: Paper) -> dict:
    values = {k: getattr(paper, k) for k in _PAPER_COLUMNS}
    for k in _JSON_FIELDS:
        values[k] = json.dumps(values[k], ensure_ascii=False)
    values["plan_resource"] = int(paper.plan_resource)
    return values


def upsert_paper(db: Database, paper: Paper) -> str:
    """Insert or update a paper's metadata. Returns 'new', 'updated' or 'unchanged'.

    Reading state, topics and chunks are left alone; a known value is never replaced by an
    empty one (an offline snapshot row missing its abstract does not erase a fetched one).
    """
    existing = get_paper(db, paper.id)
    values = _paper_values(paper)
    now = utc_now()
    with db.transaction() as conn:
        if existing is None:
            cols = ", ".join(values)
            marks = ", ".join(f":{k}" for k in values)
            conn.execute(
                f"INSERT INTO papers ({cols}, added_at, updated_at) VALUES ({marks}, :now, :now)",
                {**values, "now": now},
            )
            conn.execute("INSERT OR IGNORE INTO reading (paper_id, status) VALUES (?, 'new')", (paper.id,))
            return "new"
        old = _paper_values(existing)
        merged = {k: (v if v not in ("", "[]", None) else old[k]) for k, v in values.items()}
        merged["plan_resource"] = max(values["plan_resource"], old["plan_resource"])
        if merged == old:
            return "unchanged"
        sets = ", ".join(f"{k} = :{k}" for k in merged if k != "id")
        conn.execute(f"UPDATE papers SET {sets}, updated_at = :now WHERE id = :id", {**merged, "now": now})
        return "updated"


def get_paper(db: Database, paper_id: str) -> Paper | None:
    rows = db.query("SELECT * FROM papers WHERE id = ?", (paper_id,))
    return paper_from_row(rows[0]) if rows else None


def list_papers(db: Database, where: str = "1=1", params: tuple = ()) -> list[Paper]:
    return [paper_from_row(r) for r in db.query(f"SELECT * FROM papers WHERE {where} ORDER BY id", params)]


def set_fulltext_state(db: Database, paper_id: str, state: str, error: str = "") -> None:
    with db.transaction() as conn:
        conn.execute(
            "UPDATE papers SET fulltext = ?, fulltext_error = ?, updated_at = ? WHERE id = ?",
            (state, error, utc_now(), paper_id),
        )


def set_parsed_with(db: Database, paper_id: str, parser_version: int) -> None:
    """Record which PDF parser version read the paper's full text (see `parsed_before`)."""
    with db.transaction() as conn:
        conn.execute("UPDATE papers SET parsed_with = ? WHERE id = ?", (parser_version, paper_id))


def parsed_before(db: Database, parser_version: int) -> list[str]:
    """Papers whose indexed full text an older parser read from a PDF still on record."""
    return [r[0] for r in db.query(
        "SELECT id FROM papers WHERE fulltext = 'indexed' AND parsed_with < ? AND pdf_path != '' ORDER BY id",
        (parser_version,))]


def sync_topics(db: Database, plan: Plan) -> None:
    """Mirror the plan's topics into the topics table (for joins and for other tools)."""
    with db.transaction() as conn:
        conn.execute("DELETE FROM topics")
        conn.executemany(
            "INSERT INTO topics (number, stage, title, title_en) VALUES (?, ?, ?, ?)",
            [(t.number, t.stage, t.title, t.title_en) for t in plan.topics],
        )


def set_topic_assignments(db: Database, paper_id: str, assignments: Iterable[TopicAssignment]) -> None:
    """Replace a paper's machine assignments; the learner's confirmations and corrections stay."""
    now = utc_now()
    with db.transaction() as conn:
        conn.execute("DELETE FROM paper_topics WHERE paper_id = ? AND confirmed = 0", (paper_id,))
        kept = {r[0] for r in conn.execute("SELECT topic FROM paper_topics WHERE paper_id = ?", (paper_id,))}
        conn.executemany(
            "INSERT INTO paper_topics (paper_id, topic, score, method, reason, confirmed, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(paper_id, a.topic, a.score, a.method, a.reason, a.confirmed, now)
             for a in assignments if a.topic not in kept],
        )


def set_topic_confirmation(db: Database, paper_id: str, topic: int, confirmed: int, reason: str) -> None:
    """The learner confirms (1) or rejects (-1) a topic for a paper; re-mapping keeps it."""
    with db.transaction() as conn:
        conn.execute(
            "INSERT INTO paper_topics (paper_id, topic, score, method, reason, confirmed, updated_at)"
            " VALUES (?, ?, ?, 'user', ?, ?, ?) ON CONFLICT(paper_id, topic) DO UPDATE SET"
            " confirmed = excluded.confirmed, method = 'user', reason = excluded.reason,"
            " score = CASE WHEN excluded.confirmed > 0 THEN 1.0 ELSE 0.0 END, updated_at = excluded.updated_at",
            (paper_id, topic, 1.0 if confirmed > 0 else 0.0, reason, confirmed, utc_now()),
        )


def topic_assignments(db: Database, paper_id: str) -> list[TopicAssignment]:
    rows = db.query(
        "SELECT * FROM paper_topics WHERE paper_id = ? AND confirmed >= 0 ORDER BY confirmed DESC, score DESC",
        (paper_id,),
    )
    return [TopicAssignment(r["paper_id"], r["topic"], r["score"], r["method"], r["reason"], r["confirmed"])
            for r in rows]


def replace_chunks(db: Database, paper_id: str, chunks: list[Chunk]) -> tuple[list[str], list[str]]:
    """Make `chunks` the paper's chunks of their kinds. Returns (ids written, ids removed).

    Kinds not present in `chunks` are kept, so re-indexing the full text leaves the
    abstract chunk alone and vice versa.
    """
    kinds = sorted({c.kind for c in chunks})
    with db.transaction() as conn:
        marks = ",".join("?" * len(kinds))
        old = [r[0] for r in conn.execute(
            f"SELECT id FROM chunks WHERE paper_id = ? AND kind IN ({marks})", (paper_id, *kinds))]
        new_ids = [c.id for c in chunks]
        removed = sorted(set(old) - set(new_ids))
        conn.executemany("DELETE FROM chunks WHERE id = ?", [(i,) for i in removed])
        conn.executemany(
            "INSERT OR REPLACE INTO chunks (id, paper_id, version, seq, kind, section, page_first, page_last, text)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(c.id, c.paper_id, c.version, c.seq, c.kind, c.section, c.page_first, c.page_last, c.text)
             for c in chunks],
        )
    return new_ids, removed


def chunk_from_row(row: sqlite3.Row) -> Chunk:
    return Chunk(paper_id=row["paper_id"], seq=row["seq"], kind=row["kind"], text=row["text"],
                 section=row["section"], page_first=row["page_first"], page_last=row["page_last"],
                 version=row["version"])


def get_chunks(db: Database, ids: Iterable[str]) -> dict[str, Chunk]:
    ids = list(ids)
    out: dict[str, Chunk] = {}
    for start in range(0, len(ids), 500):  # SQLite's bound-parameter limit
        part = ids[start:start + 500]
        rows = db.query(f"SELECT * FROM chunks WHERE id IN ({','.join('?' * len(part))})", tuple(part))
        out.update({r["id"]: chunk_from_row(r) for r in rows})
    return out


def set_reading_status(db: Database, paper_id: str, status: str) -> None:
    with db.transaction() as conn:
        conn.execute(
            "INSERT INTO reading (paper_id, status, status_at) VALUES (?, ?, ?)"
            " ON CONFLICT(paper_id) DO UPDATE SET status = excluded.status, status_at = excluded.status_at",
            (paper_id, status, utc_now()),
        )


def set_rating(db: Database, paper_id: str, rating: str) -> None:
    with db.transaction() as conn:
        conn.execute(
            "INSERT INTO reading (paper_id, rating, rated_at) VALUES (?, ?, ?)"
            " ON CONFLICT(paper_id) DO UPDATE SET rating = excluded.rating, rated_at = excluded.rated_at",
            (paper_id, rating, utc_now()),
        )
