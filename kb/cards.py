"""Quiz cards and their reviews in SQLite, scheduled with FSRS (the `fsrs` package).

The only module that imports `fsrs`. A card's FSRS state lives in `cards.fsrs_card` as the
package's own JSON, and `cards.due` mirrors its due time for indexed queries. A card that
was never reviewed has `due` NULL: it is *new*, not due, so a session can show due cards
first and then a measured number of new ones.

Every review is written in one transaction the moment it is given (`record_review`): the
review row and the card's new FSRS state commit together, so a process killed between two
answers keeps every answer it acknowledged and never half of one.

A card's topic is `cards.topic` when the card was generated for a topic, else the best
topic row of its paper (`paper_topics`, the learner's confirmations first), so cards follow
a paper when it is re-mapped.
"""

from __future__ import annotations

import hashlib
import json
import random
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import fsrs

from kb.db import Database, utc_now
from kb.errors import PaperplanError

CARD_TYPES = ("mcq", "short", "cloze")
RATINGS = {"again": 1, "hard": 2, "good": 3, "easy": 4}

# The topic a card counts for: its own, else its paper's best mapping (confirmed first).
EFFECTIVE_TOPIC_SQL = (
    "COALESCE(c.topic, (SELECT pt.topic FROM paper_topics pt WHERE pt.paper_id = c.paper_id"
    " AND pt.confirmed >= 0 ORDER BY pt.confirmed DESC, pt.score DESC LIMIT 1))"
)


class CardError(PaperplanError):
    hint = "list cards with `paperplan quiz generate --json`, or generate some first"


@dataclass
class Card:
    """A quiz card tied to the passage it was made from."""

    type: str  # mcq | short | cloze
    question: str
    answer: str
    paper_id: str | None
    options: list[str] = field(default_factory=list)  # mcq only: the answer and three wrong ones
    topic: int | None = None  # the effective topic when read back (see module doc)
    chunk_id: str | None = None
    section: str = ""
    page_first: int | None = None
    page_last: int | None = None
    source_quote: str = ""
    due: datetime | None = None  # None: never reviewed (a new card)
    created_at: str = ""
    suspended: bool = False
    fsrs_state: str = "{}"
    id: str = ""

    def __post_init__(self) -> None:
        if not self.id:
            self.id = card_id_for(self.paper_id, self.type, self.question)

    @property
    def pages(self) -> str:
        if self.page_first is None:
            return ""
        if self.page_last is None or self.page_last == self.page_first:
            return str(self.page_first)
        return f"{self.page_first}-{self.page_last}"

    @property
    def is_new(self) -> bool:
        return self.due is None


def card_id_for(paper_id: str | None, card_type: str, question: str) -> str:
    """Deterministic: the same question on the same paper is the same card (no duplicates on re-runs)."""
    normal = " ".join(question.lower().split())
    digest = hashlib.sha1(f"{paper_id}|{card_type}|{normal}".encode()).hexdigest()[:16]
    return f"card-{digest}"


@dataclass
class TopicMastery:
    topic: int
    mastery: float  # mean FSRS retrievability of the topic's cards; 0.0 when none
    cards: int
    due: int
    papers_with_cards: int
    papers: int

    @property
    def coverage(self) -> float:
        return self.papers_with_cards / self.papers if self.papers else 0.0


@dataclass
class StageMastery:
    stage: int
    mastery: float  # mean retrievability over every card of the stage's topics
    cards: int
    due: int
    topics: list[int]


@dataclass
class ReviewOutcome:
    card: Card
    rating: int
    next_due: datetime
    review_id: int


# -- scheduling ---------------------------------------------------------------------------------


def make_scheduler(desired_retention: float = 0.9, fuzz: bool = True) -> fsrs.Scheduler:
    """FSRS with the package's default parameters. Fuzz spreads cards reviewed together
    over nearby days; tests turn it off to compare intervals exactly."""
    return fsrs.Scheduler(desired_retention=desired_retention, enable_fuzzing=fuzz)


def _fsrs_card(card: Card) -> fsrs.Card:
    state = json.loads(card.fsrs_state or "{}")
    if not state:
        # A fresh FSRS card; its id only needs to be an int (ours is the text id).
        return fsrs.Card(card_id=int(card.id.removeprefix("card-")[:12] or "0", 16) if card.id else 0)
    return fsrs.Card.from_dict(state)


def retrievability(card: Card, now: datetime, scheduler: fsrs.Scheduler | None = None) -> float:
    """Predicted chance of recalling the card at `now`; 0.0 for a card never reviewed."""
    if card.is_new:
        return 0.0
    return float((scheduler or _DEFAULT_SCHEDULER).get_card_retrievability(_fsrs_card(card), _utc(now)))


_DEFAULT_SCHEDULER = make_scheduler(fuzz=False)


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _iso(moment: datetime) -> str:
    return _utc(moment).isoformat(timespec="seconds")


# -- storage ------------------------------------------------------------------------------------


def card_from_row(row: sqlite3.Row) -> Card:
    keys = row.keys()
    return Card(
        id=row["id"], type=row["type"], question=row["question"], answer=row["answer"],
        paper_id=row["paper_id"], options=json.loads(row["options"] or "[]"),
        topic=row["eff_topic"] if "eff_topic" in keys else row["topic"],
        chunk_id=row["chunk_id"], section=row["section"], page_first=row["page_first"],
        page_last=row["page_last"], source_quote=row["source_quote"],
        due=datetime.fromisoformat(row["due"]) if row["due"] else None, created_at=row["created_at"],
        suspended=bool(row["suspended"]), fsrs_state=row["fsrs_card"],
    )


_SELECT = f"SELECT c.*, {EFFECTIVE_TOPIC_SQL} AS eff_topic FROM cards c"


def add_cards(db: Database, cards: Iterable[Card]) -> list[str]:
    """Store checked cards; returns the ids actually added (a known id is left as it is)."""
    now = utc_now()
    added: list[str] = []
    with db.transaction() as conn:
        for card in cards:
            if card.type not in CARD_TYPES:
                raise CardError(f"card {card.id}: unknown type {card.type!r}", hint="use mcq, short or cloze")
            cur = conn.execute(
                "INSERT OR IGNORE INTO cards (id, paper_id, topic, type, question, options, answer, chunk_id,"
                " section, page_first, page_last, source_quote, fsrs_card, due, created_at, suspended)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '{}', NULL, ?, 0)",
                (card.id, card.paper_id, card.topic, card.type, card.question,
                 json.dumps(card.options, ensure_ascii=False), card.answer, card.chunk_id, card.section,
                 card.page_first, card.page_last, card.source_quote, now),
            )
            if cur.rowcount:
                added.append(card.id)
    return added


def get_card(db: Database, card_id: str) -> Card:
    rows = db.query(f"{_SELECT} WHERE c.id = ?", (card_id,))
    if not rows:
        raise CardError(f"no card with id {card_id!r}")
    return card_from_row(rows[0])


def list_cards(db: Database, *, paper_id: str | None = None, topics: Sequence[int] | None = None,
               include_suspended: bool = False) -> list[Card]:
    where, params = _filters(paper_id=paper_id, topics=topics, include_suspended=include_suspended)
    return [card_from_row(r) for r in db.query(f"{_SELECT} WHERE {where} ORDER BY c.created_at, c.id", params)]


def _filters(*, paper_id: str | None = None, topics: Sequence[int] | None = None,
             include_suspended: bool = False) -> tuple[str, tuple]:
    clauses: list[str] = ["1=1"]
    params: list[object] = []
    if not include_suspended:
        clauses.append("c.suspended = 0")
    if paper_id is not None:
        clauses.append("c.paper_id = ?")
        params.append(paper_id)
    if topics is not None:
        topic_list = list(topics)
        clauses.append(f"{EFFECTIVE_TOPIC_SQL} IN ({','.join('?' * len(topic_list)) or 'NULL'})")
        params.extend(topic_list)
    return " AND ".join(clauses), tuple(params)


def _topic_filter(topic: int | None, stage_topics: Sequence[int] | None) -> Sequence[int] | None:
    if topic is not None:
        return [topic]
    return stage_topics


def due_cards(db: Database, now: datetime, topic: int | None = None,
              stage_topics: Sequence[int] | None = None) -> list[Card]:
    """Reviewed cards whose due time has come, most overdue first."""
    where, params = _filters(topics=_topic_filter(topic, stage_topics))
    rows = db.query(f"{_SELECT} WHERE {where} AND c.due IS NOT NULL AND c.due <= ? ORDER BY c.due, c.id",
                    (*params, _iso(now)))
    return [card_from_row(r) for r in rows]


def new_cards(db: Database, limit: int, topic: int | None = None,
              stage_topics: Sequence[int] | None = None) -> list[Card]:
    """Cards never reviewed, oldest first."""
    where, params = _filters(topics=_topic_filter(topic, stage_topics))
    rows = db.query(f"{_SELECT} WHERE {where} AND c.due IS NULL ORDER BY c.created_at, c.id LIMIT ?",
                    (*params, max(0, limit)))
    return [card_from_row(r) for r in rows]


def interleave_topics(cards: Sequence[Card]) -> list[Card]:
    """Round-robin over topics, keeping each topic's own order: a session mixes topics."""
    queues: dict[int | None, list[Card]] = {}
    for card in cards:
        queues.setdefault(card.topic, []).append(card)
    out: list[Card] = []
    while any(queues.values()):
        for queue in queues.values():
            if queue:
                out.append(queue.pop(0))
    return out


def session_cards(db: Database, now: datetime, *, count: int, new_limit: int,
                  topics: Sequence[int] | None = None, new_topics: Sequence[int] | None = None,
                  paper_id: str | None = None) -> list[Card]:
    """One session: due cards first (most overdue first, topics mixed), then up to
    `new_limit` new ones from `new_topics` (default: `topics`), at most `count` in all."""
    def scoped(found: list[Card]) -> list[Card]:
        return [c for c in found if paper_id is None or c.paper_id == paper_id]

    due = interleave_topics(scoped(due_cards(db, now, stage_topics=topics)))
    fresh_topics = new_topics if new_topics is not None else topics
    fresh = interleave_topics(scoped(new_cards(db, 100_000, stage_topics=fresh_topics)))
    return (due + fresh[:max(0, new_limit)])[:max(0, count)]


def assessment_cards(db: Database, topics: Sequence[int], count: int, seed: int | None = None) -> list[Card]:
    """A stage assessment: `count` cards spread evenly over the topics, drawn at random."""
    rng = random.Random(seed)
    pool = list_cards(db, topics=topics)
    rng.shuffle(pool)
    return interleave_topics(pool)[:max(0, count)]


def due_count(db: Database, now: datetime) -> int:
    return _count(db, "SELECT COUNT(*) FROM cards WHERE suspended = 0 AND due IS NOT NULL AND due <= ?",
                  (_iso(now),))


def record_review(db: Database, card_id: str, rating: int, now: datetime, *,
                  scheduler: fsrs.Scheduler | None = None, correct: bool | None = None,
                  answer_given: str = "", duration_ms: int | None = None) -> ReviewOutcome:
    """Apply one answer: FSRS reschedules the card and the review is logged, in one commit."""
    if rating not in (1, 2, 3, 4):
        raise CardError(f"rating {rating!r} for card {card_id}", hint="rate 1 again, 2 hard, 3 good or 4 easy")
    scheduler = scheduler or _DEFAULT_SCHEDULER
    moment = _utc(now)
    with db.transaction() as conn:
        # Read inside the write transaction: two sessions reviewing the same card queue up.
        rows = list(conn.execute(f"{_SELECT} WHERE c.id = ?", (card_id,)))
        if not rows:
            raise CardError(f"no card with id {card_id!r}")
        card = card_from_row(rows[0])
        updated, _log = scheduler.review_card(_fsrs_card(card), fsrs.Rating(rating), moment, duration_ms)
        state = json.dumps(updated.to_dict())
        conn.execute("UPDATE cards SET fsrs_card = ?, due = ? WHERE id = ?", (state, _iso(updated.due), card_id))
        review_id = conn.execute(
            "INSERT INTO reviews (card_id, rating, correct, answer_given, reviewed_at, duration_ms)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (card_id, rating, None if correct is None else int(correct), answer_given, _iso(moment), duration_ms),
        ).lastrowid
    card.fsrs_state, card.due = state, _utc(updated.due)
    return ReviewOutcome(card=card, rating=rating, next_due=_utc(updated.due), review_id=int(review_id or 0))


def suspend_card(db: Database, card_id: str, suspended: bool = True) -> None:
    with db.transaction() as conn:
        if not conn.execute("UPDATE cards SET suspended = ? WHERE id = ?", (int(suspended), card_id)).rowcount:
            raise CardError(f"no card with id {card_id!r}")


def read_papers_without_cards(db: Database, limit: int = 50) -> list[str]:
    """Papers the learner marked read that have no card yet, most recently read first
    (the nightly run makes cards for them)."""
    rows = db.query(
        "SELECT r.paper_id FROM reading r WHERE r.status = 'read'"
        " AND NOT EXISTS (SELECT 1 FROM cards c WHERE c.paper_id = r.paper_id)"
        " ORDER BY r.status_at DESC, r.paper_id LIMIT ?", (max(0, limit),))
    return [r[0] for r in rows]


# -- mastery and history ------------------------------------------------------------------------


def papers_by_topic(db: Database) -> dict[int, set[str]]:
    """Each topic's papers: the learner's/plan's confirmed topics of a paper plus its best one."""
    out: dict[int, set[str]] = {}
    best_seen: set[str] = set()
    rows = db.query("SELECT paper_id, topic, confirmed FROM paper_topics WHERE confirmed >= 0"
                    " ORDER BY paper_id, confirmed DESC, score DESC")
    for row in rows:
        if row["confirmed"] == 1 or row["paper_id"] not in best_seen:
            out.setdefault(row["topic"], set()).add(row["paper_id"])
        best_seen.add(row["paper_id"])
    return out


def topic_mastery(db: Database, now: datetime, scheduler: fsrs.Scheduler | None = None) -> dict[int, TopicMastery]:
    """Per topic: mean retrievability of its cards (new cards count 0), due cards, coverage.

    Every topic in the `topics` table is present, with zeros where nothing is known.
    """
    moment = _utc(now)
    papers_of = papers_by_topic(db)
    topics = {int(r[0]) for r in db.query("SELECT number FROM topics")} | set(papers_of)
    per_topic: dict[int, list[Card]] = {}
    for card in list_cards(db):
        if card.topic is not None:
            per_topic.setdefault(card.topic, []).append(card)
    topics |= set(per_topic)
    carded_papers = {r[0] for r in db.query("SELECT DISTINCT paper_id FROM cards WHERE paper_id IS NOT NULL"
                                            " AND suspended = 0")}
    out: dict[int, TopicMastery] = {}
    for topic in sorted(topics):
        cards = per_topic.get(topic, [])
        values = [retrievability(c, moment, scheduler) for c in cards]
        papers = papers_of.get(topic, set())
        out[topic] = TopicMastery(
            topic=topic, mastery=sum(values) / len(values) if values else 0.0, cards=len(cards),
            due=sum(1 for c in cards if c.due is not None and c.due <= moment),
            papers_with_cards=len(papers & carded_papers), papers=len(papers),
        )
    return out


def stage_mastery(db: Database, now: datetime, scheduler: fsrs.Scheduler | None = None) -> dict[int, StageMastery]:
    """Per stage (from the `topics` table): card-weighted mean retrievability of its topics."""
    by_topic = topic_mastery(db, now, scheduler)
    out: dict[int, StageMastery] = {}
    for number, stage in db.query("SELECT number, stage FROM topics ORDER BY number"):
        tm = by_topic.get(number)
        entry = out.setdefault(stage, StageMastery(stage, 0.0, 0, 0, []))
        entry.topics.append(number)
        if tm and tm.cards:
            entry.mastery += tm.mastery * tm.cards  # a weighted sum until divided below
            entry.cards += tm.cards
            entry.due += tm.due
    for entry in out.values():
        entry.mastery = entry.mastery / entry.cards if entry.cards else 0.0
    return out


def reviews_by_day(db: Database, days: int, today: date | None = None) -> list[tuple[date, int]]:
    """Reviews per UTC day for the last `days` days (oldest first, today last, zeros filled in)."""
    last = today or datetime.now(UTC).date()
    first = last - timedelta(days=max(1, days) - 1)
    counts = {r[0]: r[1] for r in db.query(
        "SELECT substr(reviewed_at, 1, 10) AS day, COUNT(*) FROM reviews WHERE day >= ? AND day <= ?"
        " GROUP BY day", (first.isoformat(), last.isoformat()))}
    return [(first + timedelta(days=i), int(counts.get((first + timedelta(days=i)).isoformat(), 0)))
            for i in range((last - first).days + 1)]


def review_count(db: Database, card_id: str | None = None) -> int:
    if card_id is None:
        return _count(db, "SELECT COUNT(*) FROM reviews")
    return _count(db, "SELECT COUNT(*) FROM reviews WHERE card_id = ?", (card_id,))


def _count(db: Database, sql: str, params: tuple = ()) -> int:
    return int(db.query(sql, params)[0][0])


# -- stage assessments --------------------------------------------------------------------------


def record_stage_assessment(db: Database, stage: int, score: float, pass_mark: float, detail: dict) -> bool:
    """Record a passed stage assessment as a milestone (the first pass is kept). Returns passed."""
    passed = score >= pass_mark
    if passed:
        with db.transaction() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO milestones (kind, ref, detail, achieved_at) VALUES ('stage-assessment', ?, ?, ?)",
                (stage, json.dumps({**detail, "score": score, "pass_mark": pass_mark}, ensure_ascii=False),
                 utc_now()),
            )
    return passed


def stage_assessment_passed(db: Database, stage: int) -> str | None:
    """When the stage's assessment was first passed, or None."""
    value = db.scalar("SELECT achieved_at FROM milestones WHERE kind = 'stage-assessment' AND ref = ?", (stage,))
    return str(value) if value is not None else None
