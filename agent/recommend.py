"""Weekly reading recommendations: what to read next, ranked by what the learner needs now.

Candidates are the unread, unrated papers in the KB (the plan's surveys, nightly arXiv
arrivals, lab blog posts) that map to a plan topic. A candidate's score adds up:

- topic need: how much its best topic matters now (the current topic, then the rest of
  the current stage, then the next stage; passed stages as review) times how weak the
  learner is in it (quiz mastery and papers read, from `kb.progress`);
- the plan's own surveys first for a topic not yet covered; for topics already strong,
  novelty (recent publication) and a venue instead;
- the learner's ratings: similar to papers rated up, away from papers rated down; a topic
  with a paper rated too hard favours surveys, too easy favours frontier papers;
- a small penalty for each earlier week it was proposed and left unread.

Picks are then chosen by maximal marginal relevance (MMR) on paper embeddings, so no two
picks say the same thing. Every pick carries its reasons in plain words. No LLM: ranking
is arithmetic the learner can check against `paperplan progress`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np

from kb import papers
from kb.db import Database, utc_now
from kb.errors import PaperplanError
from kb.progress import Progress, TopicProgress
from kb.store import KnowledgeBase
from kb.types import Paper

WEEK_PATTERN = re.compile(r"^(?P<year>\d{4})-W(?P<week>\d{2})$")
VectorsFn = Callable[[Sequence[Paper]], dict[str, np.ndarray]]


class WeekError(PaperplanError):
    hint = "write the week as YYYY-Www, e.g. 2026-W48 (ISO weeks start on Monday)"


def iso_week(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def week_start(week: str) -> date:
    """The Monday of an ISO week 'YYYY-Www'."""
    m = WEEK_PATTERN.match(week.strip())
    if not m:
        raise WeekError(f"not an ISO week: {week!r}")
    try:
        return date.fromisocalendar(int(m["year"]), int(m["week"]), 1)
    except ValueError:
        raise WeekError(f"{week!r}: {m['year']} has no week {m['week']}") from None


@dataclass(frozen=True)
class Weights:
    """The ranking's knobs. The defaults are what `make eval` measures."""

    survey_first: float = 0.35  # a plan survey for a topic whose surveys are not all read
    novelty: float = 0.2  # a paper published today, fading to 0 at novelty_days (strong topics)
    novelty_days: int = 180
    venue: float = 0.1  # a venue or journal reference (strong topics)
    queued: float = 0.1  # the learner queued it
    preference: float = 0.4  # times the cosine to the closest paper rated up (or down, subtracted)
    difficulty: float = 0.15  # surveys for topics found too hard, frontier for too easy
    repeat_penalty: float = 0.1  # per earlier week it was proposed and left unread
    strong_topic: float = 0.6  # strength from which a topic counts as strong
    mmr_lambda: float = 0.85  # 1: score only; 0: diversity only
    duplicate_cosine: float = 0.88  # a candidate this close to a pick is the same thing said again


@dataclass
class Pick:
    paper_id: str
    title: str
    topics: list[int]
    score: float
    why: str
    abstract: str = ""
    url: str = ""
    kind: str = "paper"
    published: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"paper_id": self.paper_id, "title": self.title, "topics": self.topics,
                "score": round(self.score, 3), "why": self.why}


@dataclass
class _Candidate:
    paper: Paper
    topics: dict[int, float]  # topic → assignment score
    plan_topics: set[int]  # topics the plan itself recommends this paper for
    queued: bool
    times_proposed: int
    score: float = 0.0
    best_topic: int = 0
    reasons: list[str] = field(default_factory=list)


@dataclass
class _Ratings:
    up: list[str]
    down: list[str]
    too_hard_topics: set[int]
    too_easy_topics: set[int]
    titles: dict[str, str]


# -- inputs from the KB -----------------------------------------------------------------------

def _candidates(db: Database, week: str) -> list[_Candidate]:
    rows = db.query(
        "SELECT p.* , COALESCE(r.status, 'new') AS status FROM papers p LEFT JOIN reading r ON r.paper_id = p.id"
        " WHERE COALESCE(r.status, 'new') IN ('new', 'queued', 'reading') AND COALESCE(r.rating, '') = ''"
    )
    topic_rows = db.query("SELECT paper_id, topic, score, method FROM paper_topics WHERE confirmed >= 0")
    topics: dict[str, dict[int, float]] = {}
    plan_topics: dict[str, set[int]] = {}
    for r in topic_rows:
        topics.setdefault(r["paper_id"], {})[r["topic"]] = float(r["score"])
        if r["method"] == "plan":
            plan_topics.setdefault(r["paper_id"], set()).add(r["topic"])
    proposed = {r[0]: r[1] for r in db.query(
        "SELECT paper_id, COUNT(*) FROM recommendations WHERE week < ? GROUP BY paper_id", (week,))}
    return [
        _Candidate(papers.paper_from_row(r), topics[r["id"]], plan_topics.get(r["id"], set()),
                   r["status"] == "queued", proposed.get(r["id"], 0))
        for r in rows if r["id"] in topics  # a paper on no plan topic cannot be placed in the plan
    ]


def _ratings(db: Database) -> _Ratings:
    rows = db.query("SELECT r.paper_id, r.rating, p.title FROM reading r JOIN papers p ON p.id = r.paper_id"
                    " WHERE r.rating != '' ORDER BY r.rated_at, r.paper_id")
    by_rating: dict[str, list[str]] = {}
    for r in rows:
        by_rating.setdefault(r["rating"], []).append(r["paper_id"])

    def topics_of(ids: Iterable[str]) -> set[int]:
        return {a.topic for pid in ids for a in papers.topic_assignments(db, pid)[:1]}

    return _Ratings(by_rating.get("up", []), by_rating.get("down", []), topics_of(by_rating.get("too-hard", [])),
                    topics_of(by_rating.get("too-easy", [])), {r["paper_id"]: r["title"] for r in rows})


def paper_vectors(kb: KnowledgeBase) -> VectorsFn:
    """Each paper's abstract-chunk embedding from the vector store; papers without one
    (never indexed) are embedded from title and abstract with the KB's embedder."""

    def vectors(paper_list: Sequence[Paper]) -> dict[str, np.ndarray]:
        ids = [p.id for p in paper_list]
        out: dict[str, np.ndarray] = {}
        for start in range(0, len(ids), 500):
            part = ids[start:start + 500]
            rows = kb.db.query(f"SELECT id, paper_id FROM chunks WHERE kind = 'abstract' AND paper_id IN"
                               f" ({','.join('?' * len(part))})", tuple(part))
            chunk_of = {r["id"]: r["paper_id"] for r in rows}
            for chunk, vector in kb.vectors.get_embeddings(list(chunk_of)).items():
                out[chunk_of[chunk]] = np.asarray(vector, dtype=np.float32)
        missing = [p for p in paper_list if p.id not in out]
        if missing:
            embedded = kb.embedder.embed_documents([f"{p.title}\n\n{p.abstract}".strip() for p in missing])
            out.update({p.id: np.asarray(v, dtype=np.float32) for p, v in zip(missing, embedded, strict=True)})
        return {k: _unit(v) for k, v in out.items()}

    return vectors


def _unit(v: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(v))
    return v / norm if norm else v


# -- scoring ----------------------------------------------------------------------------------

def topic_order_weight(topic: TopicProgress, progress: Progress) -> float:
    """How much a topic matters now, by its place in the plan relative to the learner's.

    The current topic first, then the rest of the current stage, then the next stage; a
    passed stage only as review. Within a band, earlier topics come first (循序渐进).
    """
    if topic.number == progress.current_topic:
        return 1.0
    order = [t.number for t in progress.topics]
    steps = abs(order.index(topic.number) - order.index(progress.current_topic))
    distance = topic.stage - progress.current_stage
    if distance == 0:
        return 0.75 - 0.02 * steps
    if distance < 0:
        return 0.2  # a passed stage: worth a review, not a priority
    return 0.3 * 0.5 ** (distance - 1) - 0.01 * steps


def topic_need(topic: TopicProgress, progress: Progress) -> float:
    return topic_order_weight(topic, progress) * (0.4 + 0.6 * (1.0 - topic.strength))


def weakest_topic(progress: Progress) -> int:
    """The weakest topic of the current stage, plan order on ties."""
    stage = [t for t in progress.topics if t.stage == progress.current_stage] or progress.topics
    return min(stage, key=lambda t: (round(t.strength, 6), t.number)).number


def _age_days(paper: Paper, today: date) -> int | None:
    if not paper.published:
        return None
    try:
        return (today - date.fromisoformat(paper.published[:10])).days
    except ValueError:
        return None


def _score(c: _Candidate, progress: Progress, ratings: _Ratings, weights: Weights, today: date) -> None:
    needs = {t: score * topic_need(progress.topic(t), progress)
             for t, score in c.topics.items() if _has_topic(progress, t)}
    if not needs:
        c.score = float("-inf")
        return
    c.best_topic = max(needs, key=lambda t: (needs[t], -t))
    topic = progress.topic(c.best_topic)
    score = needs[c.best_topic]
    is_survey = bool(c.plan_topics)
    if is_survey and topic.surveys_read < topic.surveys:
        # Surveys first for a topic not yet covered, and sooner the nearer it is in the plan.
        score += weights.survey_first * topic_order_weight(topic, progress)
    if topic.strength >= weights.strong_topic and not is_survey:
        age = _age_days(c.paper, today)
        if age is not None:
            score += weights.novelty * max(0.0, 1.0 - max(age, 0) / weights.novelty_days)
        if c.paper.venue or c.paper.journal_ref:
            score += weights.venue
    if c.best_topic in ratings.too_hard_topics:
        score += weights.difficulty if is_survey else -weights.difficulty
    if c.best_topic in ratings.too_easy_topics:
        score += -weights.difficulty if is_survey else weights.difficulty
    if c.queued:
        score += weights.queued
    score -= weights.repeat_penalty * min(c.times_proposed, 3)
    c.score = score


def _has_topic(progress: Progress, number: int) -> bool:
    return any(t.number == number for t in progress.topics)


def _preference(candidates: list[_Candidate], ratings: _Ratings, vectors: dict[str, np.ndarray],
                weights: Weights) -> dict[str, tuple[str, float]]:
    """Add the rating pull to each score; returns paper → (closest rated paper, signed cosine)."""
    pulls: dict[str, tuple[str, float]] = {}
    for sign, ids in ((1.0, ratings.up), (-1.0, ratings.down)):
        rated = [(pid, vectors[pid]) for pid in ids if pid in vectors]
        if not rated:
            continue
        matrix = np.stack([v for _, v in rated])
        for c in candidates:
            v = vectors.get(c.paper.id)
            if v is None:
                continue
            sims = matrix @ v
            best = int(np.argmax(sims))
            cosine = max(float(sims[best]), 0.0)
            c.score += sign * weights.preference * cosine
            previous = pulls.get(c.paper.id)
            if previous is None or cosine > abs(previous[1]):
                pulls[c.paper.id] = (rated[best][0], sign * cosine)
    return pulls


def _mmr(candidates: list[_Candidate], vectors: dict[str, np.ndarray], count: int,
         weights: Weights) -> list[_Candidate]:
    chosen: list[_Candidate] = []
    pool = sorted(candidates, key=lambda c: (-c.score, c.paper.id))
    while pool and len(chosen) < count:
        best, best_value = None, float("-inf")
        for c in pool:
            v = vectors.get(c.paper.id)
            overlap = max((float(v @ vectors[p.paper.id]) for p in chosen
                           if v is not None and p.paper.id in vectors), default=0.0)
            if overlap >= weights.duplicate_cosine:
                continue
            value = weights.mmr_lambda * c.score - (1 - weights.mmr_lambda) * max(overlap, 0.0)
            if value > best_value:
                best, best_value = c, value
        if best is None:
            break
        chosen.append(best)
        pool.remove(best)
    return chosen


# -- explanations -----------------------------------------------------------------------------

def _topic_facts(topic: TopicProgress) -> str:
    if topic.cards:
        cards = f"{topic.due} of {topic.cards} cards due, mastery {round(100 * (topic.mastery or 0))}%"
    else:
        cards = "no cards yet"
    read = "no paper read yet" if topic.read == 0 else f"{topic.read} paper{'s' if topic.read > 1 else ''} read"
    return f"{cards}, {read}"


def _position(topic: TopicProgress, progress: Progress) -> str:
    if topic.number == progress.current_topic:
        return "is your current topic"
    if topic.stage == progress.current_stage:
        return f"is in your current stage (stage {topic.stage})"
    if topic.stage < progress.current_stage:
        return f"is from stage {topic.stage}, which you have passed: worth a review"
    return f"comes next in the plan (stage {topic.stage})" if topic.stage == progress.current_stage + 1 \
        else f"comes later in the plan (stage {topic.stage})"


def explain(c: _Candidate, progress: Progress, weakest: int, ratings: _Ratings,
            pull: tuple[str, float] | None, weights: Weights, today: date) -> str:
    topic = progress.topic(c.best_topic)
    head = f"{topic.label} {_position(topic, progress)}"
    if topic.number == weakest:
        head += " and your weakest"
    parts = [f"{head}: {_topic_facts(topic)}"]
    if c.plan_topics:
        parts.append("this is the plan's own survey for it" if c.best_topic in c.plan_topics
                     else f"the plan recommends it for topic {min(c.plan_topics)}")
    else:
        age = _age_days(c.paper, today)
        recent = age is not None and age <= weights.novelty_days
        what = "a lab blog post" if c.paper.kind == "blog" else ("a new paper" if recent else "a paper")
        if c.paper.published and age is not None:
            what += f" ({c.paper.published[:10]})"
        if c.paper.venue or c.paper.journal_ref:
            what += f" published in {c.paper.venue or c.paper.journal_ref}"
        parts.append(what)
    if c.best_topic in ratings.too_hard_topics:
        parts.append("you rated a paper on this topic too hard, so surveys come first" if c.plan_topics
                     else "you rated a paper on this topic too hard")
    if c.best_topic in ratings.too_easy_topics:
        parts.append("you rated a paper on this topic too easy, so frontier work comes first")
    if pull and abs(pull[1]) >= 0.3:
        title = ratings.titles.get(pull[0], pull[0])
        parts.append(f"close to “{title}”, which you rated up" if pull[1] > 0
                     else f"although it resembles “{title}”, which you rated down")
    if c.queued:
        parts.append("you queued it")
    if c.times_proposed:
        parts.append(f"proposed {c.times_proposed} time{'s' if c.times_proposed > 1 else ''} before")
    return "; ".join(parts) + "."


# -- the recommender --------------------------------------------------------------------------

def rank(db: Database, progress: Progress, vectors_fn: VectorsFn, *, count: int, week: str,
         now: datetime | None = None, weights: Weights = Weights(), shortlist: int = 200) -> list[Pick]:
    """The week's picks, best first. Read, dismissed and rated papers are never candidates."""
    now = now or datetime.now(UTC)
    today = now.date()
    ratings = _ratings(db)
    candidates = _candidates(db, week)
    for c in candidates:
        _score(c, progress, ratings, weights, today)
    candidates = [c for c in candidates if c.score != float("-inf")]
    # Embeddings cost a vector-store read each: only the best few hundred need them.
    candidates = sorted(candidates, key=lambda c: (-c.score, c.paper.id))[:max(shortlist, count)]
    rated = [p for p in (papers.get_paper(db, pid) for pid in ratings.up + ratings.down) if p]
    vectors = vectors_fn([c.paper for c in candidates] + rated) if candidates else {}
    pulls = _preference(candidates, ratings, vectors, weights)
    weakest = weakest_topic(progress)
    picks = []
    for c in _mmr(candidates, vectors, count, weights):
        picks.append(Pick(
            paper_id=c.paper.id, title=c.paper.title,
            topics=[c.best_topic, *sorted(t for t in c.topics if t != c.best_topic and c.topics[t] >= 0.5)],
            score=c.score, why=explain(c, progress, weakest, ratings, pulls.get(c.paper.id), weights, today),
            abstract=c.paper.abstract, url=c.paper.url, kind=c.paper.kind, published=c.paper.published,
        ))
    return picks


def store_picks(db: Database, week: str, picks: Sequence[Pick]) -> None:
    """The week's picks replace any earlier ones for that week (on-demand runs re-rank)."""
    now = utc_now()
    with db.transaction() as conn:
        conn.execute("DELETE FROM recommendations WHERE week = ?", (week,))
        conn.executemany(
            "INSERT INTO recommendations (week, paper_id, rank, score, why, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            [(week, p.paper_id, i, p.score, p.why, now) for i, p in enumerate(picks, start=1)],
        )


def stored_picks(db: Database, week: str) -> list[Pick]:
    rows = db.query("SELECT r.*, p.title, p.abstract, p.url, p.kind, p.published FROM recommendations r"
                    " JOIN papers p ON p.id = r.paper_id WHERE r.week = ? ORDER BY r.rank", (week,))
    return [Pick(paper_id=r["paper_id"], title=r["title"],
                 topics=[a.topic for a in papers.topic_assignments(db, r["paper_id"])][:3], score=r["score"],
                 why=r["why"], abstract=r["abstract"], url=r["url"], kind=r["kind"], published=r["published"])
            for r in rows]


def recommend(kb: KnowledgeBase, progress: Progress, *, count: int, week: str | None = None,
              now: datetime | None = None, weights: Weights = Weights()) -> tuple[str, list[Pick]]:
    """Rank, store under the ISO week and return (week, picks)."""
    now = now or datetime.now(UTC)
    week = week or iso_week(now.date())
    week_start(week)  # validates
    picks = rank(kb.db, progress, paper_vectors(kb), count=count, week=week, now=now, weights=weights)
    store_picks(kb.db, week, picks)
    return week, picks


def week_dates(week: str) -> tuple[date, date]:
    monday = week_start(week)
    return monday, monday + timedelta(days=7)


class Recommender:
    """Progress and picks for one KB and plan, as the CLI, the TUI and the service use them."""

    def __init__(self, kb: KnowledgeBase, plan: Any, *, per_week: int = 2, start_date: date | None = None,
                 weights: Weights = Weights()) -> None:
        self.kb = kb
        self.plan = plan
        self.per_week = per_week
        self.start_date = start_date
        self.weights = weights

    def progress(self, now: datetime | None = None) -> Progress:
        from kb.progress import compute_progress

        return compute_progress(self.kb.db, self.plan, start_date=self.start_date, now=now)

    def recommend(self, count: int | None = None, week: str | None = None,
                  now: datetime | None = None) -> tuple[str, list[Pick]]:
        return recommend(self.kb, self.progress(now), count=count or self.per_week, week=week, now=now,
                         weights=self.weights)

    def picks_for(self, week: str, now: datetime | None = None) -> list[Pick]:
        """The week's stored picks, ranked and stored now if the week has none yet."""
        return stored_picks(self.kb.db, week) or self.recommend(week=week, now=now)[1]
