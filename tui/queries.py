"""Read-only views of the database shaped for the screens (one query per screen part).

Writes never happen here: they go through kb's repository functions or a capability port.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kb import papers
from kb.db import Database
from kb.plan import Plan
from kb.types import Chunk, Paper, TopicAssignment
from tui.services import DayStat


@dataclass(frozen=True)
class LibraryRow:
    id: str
    title: str
    topics: tuple[int, ...]
    stages: tuple[int, ...]
    venue: str
    published: str
    status: str
    rating: str
    source: str

    def matches(self, needle: str) -> bool:
        needle = needle.casefold()
        return needle in self.title.casefold() or needle in self.id.casefold() or needle in self.venue.casefold()


def library_rows(db: Database, plan: Plan) -> list[LibraryRow]:
    topics_of: dict[str, list[int]] = defaultdict(list)
    for r in db.query("SELECT paper_id, topic FROM paper_topics WHERE confirmed >= 0 "
                      "ORDER BY confirmed DESC, score DESC"):
        topics_of[r["paper_id"]].append(r["topic"])
    stage_of = {t.number: t.stage for t in plan.topics}
    rows = db.query(
        "SELECT p.id, p.title, p.venue, p.journal_ref, p.primary_category, p.published, p.source,"
        " COALESCE(r.status, 'new') AS status, COALESCE(r.rating, '') AS rating"
        " FROM papers p LEFT JOIN reading r ON r.paper_id = p.id ORDER BY p.published DESC, p.id"
    )
    out = []
    for r in rows:
        topics = tuple(topics_of.get(r["id"], ()))
        out.append(LibraryRow(
            id=r["id"], title=" ".join(r["title"].split()), topics=topics,
            stages=tuple(sorted({stage_of[t] for t in topics if t in stage_of})),
            venue=r["venue"] or r["journal_ref"] or r["primary_category"] or "",
            published=(r["published"] or "")[:10], status=r["status"], rating=r["rating"], source=r["source"],
        ))
    return out


@dataclass(frozen=True)
class Section:
    name: str
    page_first: int | None
    chunk_ids: tuple[str, ...]


@dataclass(frozen=True)
class PaperDetail:
    paper: Paper
    status: str
    rating: str
    assignments: tuple[TopicAssignment, ...]
    sections: tuple[Section, ...]


def paper_detail(db: Database, paper_id: str) -> PaperDetail | None:
    paper = papers.get_paper(db, paper_id)
    if paper is None:
        return None
    reading = db.query("SELECT status, rating FROM reading WHERE paper_id = ?", (paper_id,))
    status, rating = (reading[0]["status"], reading[0]["rating"]) if reading else ("new", "")
    sections: dict[str, list[Any]] = {}
    for r in db.query("SELECT id, section, page_first FROM chunks WHERE paper_id = ? AND kind != 'note'"
                      " ORDER BY seq", (paper_id,)):
        name = r["section"] or "(untitled)"
        entry = sections.setdefault(name, [r["page_first"], []])
        entry[1].append(r["id"])
    return PaperDetail(
        paper=paper, status=status, rating=rating,
        assignments=tuple(papers.topic_assignments(db, paper_id)),
        sections=tuple(Section(name, first, tuple(ids)) for name, (first, ids) in sections.items()),
    )


def chunk(db: Database, chunk_id: str) -> Chunk | None:
    return papers.get_chunks(db, [chunk_id]).get(chunk_id)


@dataclass(frozen=True)
class Pick:
    paper_id: str
    title: str
    rank: int
    why: str
    status: str
    rating: str
    abstract: str = ""


def weekly_picks(db: Database, now: datetime) -> list[Pick]:
    """This ISO week's stored picks with their reading state (picking happens in agent.recommend)."""
    from agent import recommend  # numpy: after the first frame

    stored = recommend.stored_picks(db, recommend.iso_week(now.date()))
    reading = reading_states(db, [p.paper_id for p in stored])
    return [Pick(p.paper_id, " ".join(p.title.split()), rank, p.why, *reading.get(p.paper_id, ("new", "")),
                 abstract=p.abstract) for rank, p in enumerate(stored, start=1)]


def reading_states(db: Database, paper_ids: list[str]) -> dict[str, tuple[str, str]]:
    if not paper_ids:
        return {}
    rows = db.query(f"SELECT paper_id, status, rating FROM reading WHERE paper_id IN ({','.join('?' * len(paper_ids))})",
                    tuple(paper_ids))
    return {r["paper_id"]: (r["status"], r["rating"]) for r in rows}


def history(db: Database, days: int, now: datetime) -> list[DayStat]:
    """Reviews per day (kb.cards' count) with the share answered right, for the dashboard plot."""
    from kb import cards  # fsrs and numpy: after the first frame

    counts = cards.reviews_by_day(db, days, today=now.date())
    first = counts[0][0].isoformat() if counts else now.date().isoformat()
    right = {r[0]: (r[1], r[2]) for r in db.query(
        "SELECT substr(reviewed_at, 1, 10) AS day, SUM(correct = 1), COUNT(correct) FROM reviews"
        " WHERE day >= ? GROUP BY day", (first,))}
    out = []
    for day, n in counts:
        good, graded = right.get(day.isoformat(), (0, 0))
        out.append(DayStat(day, n, (good or 0) / graded if graded else None))
    return out


@dataclass(frozen=True)
class RunInfo:
    kind: str
    started: str
    finished: str
    ok: bool | None
    summary: str


def recent_runs(db: Database, limit: int = 20) -> list[RunInfo]:
    rows = db.query("SELECT kind, started, finished, ok, summary FROM runs ORDER BY id DESC LIMIT ?", (limit,))
    return [RunInfo(r["kind"], r["started"] or "", r["finished"] or "",
                    None if r["ok"] is None else bool(r["ok"]), summarise(r["summary"])) for r in rows]


def summarise(summary_json: str, width: int = 80) -> str:
    """A run's JSON summary as one short line: its error, or its counts."""
    try:
        data = json.loads(summary_json or "{}")
    except ValueError:
        return summary_json[:width]
    if not isinstance(data, dict):
        return str(data)[:width]
    if "error" in data:
        return str(data["error"])[:width]
    parts = []
    for key, value in data.items():
        if isinstance(value, int | float | str) and not isinstance(value, bool):
            parts.append(f"{key} {value}")
        elif isinstance(value, list | dict):
            parts.append(f"{key} {len(value)}")
    return ", ".join(parts)[:width]
