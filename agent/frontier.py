"""Frontier watch: new arrivals close to what the learner cares about, with the note they touch.

"Cares about" is read from the learner's own acts: papers rated up, and notes written (on a
paper, on a topic, in the journal). A new paper (added since a date, not yet read or
dismissed) is flagged when its abstract's embedding is close to one of those anchors: a
note passage, or the abstract of a paper rated up. Only stored vectors are compared, so
this loads no model and costs one vector fetch.

The weekly digest shows the flags as a section (`frontier_section`), each with the passage
of the learner's note it relates to, so the learner sees why it was flagged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from agent.digest import plain
from kb.notes import is_free_note

# all-MiniLM-L6-v2 cosine. Measured by bench/eval_frontier.py (real titles, 6 papers rated
# up): 0.50 flags 16 of 195 at precision 0.56, 0.55 flags 8 at 0.62, 0.60 flags 5 at 0.80.
# A digest should show few, right flags.
MIN_SIMILARITY = 0.55
EXCERPT_CHARS = 240


@dataclass
class FrontierFlag:
    paper_id: str
    title: str
    related_id: str  # the anchor: a paper id, or topic-<n> / journal for the learner's free notes
    related_title: str
    note_excerpt: str  # the learner's note passage it relates to; '' when the anchor is only a rating
    similarity: float
    why: str  # "close to your note on …" / "close to … which you rated up"

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class _Anchor:
    chunk_id: str
    owner: str  # paper or note id
    note_text: str  # '' for a rated-up paper's abstract


def _anchors(db: Any) -> list[_Anchor]:
    anchors = [_Anchor(r["id"], r["paper_id"], r["text"])
               for r in db.query("SELECT id, paper_id, text FROM chunks WHERE kind = 'note' ORDER BY id")]
    anchors += [_Anchor(r["id"], r["paper_id"], "") for r in db.query(
        "SELECT c.id, c.paper_id FROM chunks c JOIN reading r ON r.paper_id = c.paper_id"
        " WHERE c.kind = 'abstract' AND r.rating = 'up' ORDER BY c.id")]
    return anchors


def _arrivals(db: Any, since: str, exclude: set[str]) -> list[tuple[str, str, str]]:
    """(chunk id, paper id, title) of the abstract of each paper added since `since`, unread."""
    rows = db.query(
        "SELECT c.id, p.id AS paper_id, p.title FROM papers p JOIN chunks c ON c.paper_id = p.id AND c.kind = 'abstract'"
        " LEFT JOIN reading r ON r.paper_id = p.id"
        " WHERE p.added_at >= ? AND p.source != 'snapshot' AND COALESCE(r.status, 'new') IN ('new', 'queued')"
        " ORDER BY p.id, c.seq", (since,))
    seen: set[str] = set()
    out = []
    for r in rows:
        if r["paper_id"] in exclude or r["paper_id"] in seen:
            continue
        seen.add(r["paper_id"])
        out.append((r["id"], r["paper_id"], r["title"]))
    return out


def _unit(rows: list[list[float]]) -> np.ndarray:
    matrix = np.asarray(rows, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms == 0, 1.0, norms)


def frontier_flags(kb: Any, since: str, *, min_similarity: float = MIN_SIMILARITY, limit: int = 10) -> list[FrontierFlag]:
    """New arrivals since `since` (ISO date or time) close to a note or a paper rated up, best first.

    `kb` is a kb.store.KnowledgeBase. One flag per new paper, naming its closest anchor.
    """
    db = kb.db
    anchors = _anchors(db)
    if not anchors:
        return []
    anchor_papers = {a.owner for a in anchors}
    arrivals = _arrivals(db, since, anchor_papers)
    if not arrivals:
        return []
    vectors = kb.vectors.get_embeddings([a.chunk_id for a in anchors] + [c for c, _, _ in arrivals])
    anchors = [a for a in anchors if a.chunk_id in vectors]
    arrivals = [a for a in arrivals if a[0] in vectors]
    if not anchors or not arrivals:
        return []
    similarity = _unit([vectors[c] for c, _, _ in arrivals]) @ _unit([vectors[a.chunk_id] for a in anchors]).T
    titles = _titles(db, {a.owner for a in anchors})
    first_note: dict[str, str] = {}
    for a in anchors:
        if a.note_text:
            first_note.setdefault(a.owner, a.note_text)
    flags = []
    for row, (_, paper_id, title) in enumerate(arrivals):
        best = int(np.argmax(similarity[row]))
        score = float(similarity[row, best])
        if score < min_similarity:
            continue
        anchor = anchors[best]
        excerpt = anchor.note_text or first_note.get(anchor.owner, "")
        related_title = titles.get(anchor.owner, anchor.owner)
        why = (f"close to your note on {related_title}" if anchor.note_text
               else f"close to {related_title}, which you rated up")
        flags.append(FrontierFlag(paper_id, title, anchor.owner, related_title, _excerpt(excerpt),
                                  round(score, 4), why))
    flags.sort(key=lambda f: (-f.similarity, f.paper_id))
    return flags[:limit]


def _titles(db: Any, ids: set[str]) -> dict[str, str]:
    out = {}
    for note_id in ids:
        if note_id == "journal":
            out[note_id] = "your research journal"
        elif is_free_note(note_id):
            number = int(note_id.split("-")[1])
            title = db.scalar("SELECT COALESCE(NULLIF(title_en, ''), title) FROM topics WHERE number = ?", (number,))
            out[note_id] = f"topic {number}" + (f" ({title})" if title else "")
        else:
            out[note_id] = str(db.scalar("SELECT title FROM papers WHERE id = ?", (note_id,)) or note_id)
    return out


def _excerpt(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= EXCERPT_CHARS else flat[:EXCERPT_CHARS].rsplit(" ", 1)[0] + " …"


def frontier_section(flags: list[FrontierFlag]) -> tuple[str, str]:
    """The digest's section (heading, Markdown). Titles and notes are escaped like the digest's own text."""
    if not flags:
        return ("Frontier watch", "No new paper this week is close to your notes or the papers you rated up.")
    lines = []
    for flag in flags:
        lines.append(f"- **{plain(flag.title)}** (arXiv {plain(flag.paper_id)}) — {plain(flag.why)}, "
                     f"similarity {flag.similarity:.2f}")
        if flag.note_excerpt:
            lines.append(f"  > your note: {plain(flag.note_excerpt)}")
    return ("Frontier watch", "\n".join(lines))
