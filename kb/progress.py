"""Where the learner stands in the plan: per topic and stage, the current position, and pace.

Everything here is read from the KB (reading states, notes, cards, milestones) and the
plan; nothing is stored twice. Marking things (a paper read, a project ticked) goes
through the small writers at the bottom, so the CLI, the TUI and the service share them.

The current position is the first stage whose assessment is not passed, and in it the
first topic whose practice project is not ticked: the plan's own order (循序渐进), so the
learner moves on by ticking projects and passing assessments, not by reading at random.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from kb import papers
from kb.db import Database, utc_now
from kb.errors import PaperplanError
from kb.plan import Plan, Stage

# Mean Gregorian month in days: the plan speaks in months, the calendar in days.
DAYS_PER_MONTH = 30.44
READING_STATES = ("new", "queued", "reading", "read", "dismissed")
RATINGS = ("up", "down", "too-hard", "too-easy")
PROJECT = "project"
STAGE_ASSESSMENT = "stage-assessment"


class UnknownPaperError(PaperplanError):
    hint = "`paperplan status` counts the papers; ids are version-less arXiv ids like 2502.01524"


class UnknownTopicError(PaperplanError):
    hint = "`paperplan plan show` lists the plan's topics and stages with their numbers"


@dataclass
class TopicProgress:
    number: int
    title: str
    title_en: str
    stage: int
    papers: int  # papers mapped to the topic (not rejected)
    read: int
    reading: int
    queued: int
    surveys: int  # the plan's own papers for the topic
    surveys_read: int
    notes: int
    cards: int
    due: int
    mastery: float | None  # 0..1 from the quiz, None before the first card
    project: str
    project_done: bool
    project_done_at: str | None = None

    @property
    def strength(self) -> float:
        """0 (untouched) .. 1 (mastered and read): half quiz mastery, half reading done."""
        target = max(self.surveys, 2)
        return 0.5 * (self.mastery or 0.0) + 0.5 * min(self.read / target, 1.0)

    @property
    def label(self) -> str:
        return f"Topic {self.number} {self.title_en or self.title}"


@dataclass
class StageProgress:
    number: int
    title: str
    duration: str
    min_months: int | None
    max_months: int | None
    topics: list[int]
    assessment: str
    assessment_passed: bool
    assessment_passed_at: str | None = None


@dataclass
class Pace:
    """The learner's current stage against the months the plan gives each stage."""

    start: str  # ISO date the plan was started
    start_source: str  # config | init | today
    elapsed_months: float
    stage: int
    # The plan's window for the current stage, in months since the start: it may begin
    # between window_start[0] and [1] and should end between window_end[0] and [1].
    window_start: tuple[float, float]
    window_end: tuple[float | None, float | None]
    status: str  # ahead | on pace | behind
    months: float  # by how much ahead or behind (0 on pace)

    @property
    def text(self) -> str:
        elapsed = f"{self.elapsed_months:.1f} months since you started on {self.start}"
        if self.status == "on pace":
            return f"On pace: stage {self.stage}, {elapsed}."
        return f"{self.status.capitalize()} by {self.months:.1f} months: stage {self.stage}, {elapsed}."


@dataclass
class Progress:
    topics: list[TopicProgress]
    stages: list[StageProgress]
    current_stage: int
    current_topic: int
    pace: Pace
    cards_due: int
    totals: dict[str, int] = field(default_factory=dict)

    def topic(self, number: int) -> TopicProgress:
        for t in self.topics:
            if t.number == number:
                return t
        raise KeyError(number)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["pace"]["text"] = self.pace.text
        for t, td in zip(self.topics, data["topics"], strict=True):
            td["strength"] = round(t.strength, 3)
        return data


def plan_start(db: Database, configured: date | None, today: date) -> tuple[date, str]:
    """The configured start date, else the day of `paperplan init`, else today."""
    if configured:
        return configured, "config"
    stored = db.scalar("SELECT value FROM meta WHERE key = 'plan_start'")
    if stored:
        return date.fromisoformat(str(stored)), "init"
    return today, "today"


def compute_progress(db: Database, plan: Plan, *, start_date: date | None = None,
                     now: datetime | None = None) -> Progress:
    now = now or datetime.now(UTC)
    from kb.cards import due_count, topic_mastery  # the quiz's own measure; one definition of mastery

    mastery = topic_mastery(db, now)
    milestones = {(r["kind"], r["ref"]): r["achieved_at"] for r in db.query("SELECT * FROM milestones")}
    reading = _reading_by_topic(db)
    notes = _notes_by_topic(db)
    plan_papers = _plan_papers_by_topic(db)

    topics = []
    for t in plan.topics:
        counts = reading.get(t.number, {})
        m = mastery.get(t.number)
        surveys = {r.arxiv_id for r in t.surveys}
        topics.append(TopicProgress(
            number=t.number, title=t.title, title_en=t.title_en, stage=t.stage,
            papers=sum(counts.values()), read=counts.get("read", 0), reading=counts.get("reading", 0),
            queued=counts.get("queued", 0), surveys=len(surveys),
            surveys_read=len(surveys & plan_papers.get(t.number, set())),
            notes=notes.get(t.number, 0), cards=m.cards if m else 0, due=m.due if m else 0,
            mastery=(m.mastery if m and m.cards else None), project=t.project,
            project_done=(PROJECT, t.number) in milestones, project_done_at=milestones.get((PROJECT, t.number)),
        ))
    stages = [StageProgress(
        number=s.number, title=s.title, duration=s.duration, min_months=s.min_months, max_months=s.max_months,
        topics=[t.number for t in s.topics], assessment=s.assessment,
        assessment_passed=(STAGE_ASSESSMENT, s.number) in milestones,
        assessment_passed_at=milestones.get((STAGE_ASSESSMENT, s.number)),
    ) for s in plan.stages]
    current_stage, current_topic = _current_position(stages, topics)
    start, source = plan_start(db, start_date, now.date())
    pace = compute_pace(plan.stages, current_stage, start, source, now.date())
    totals = {k: sum(getattr(t, k) for t in topics) for k in ("read", "reading", "queued", "notes")}
    totals["projects_done"] = sum(t.project_done for t in topics)
    totals["stages_passed"] = sum(s.assessment_passed for s in stages)
    return Progress(topics, stages, current_stage, current_topic, pace, due_count(db, now), totals)


def _current_position(stages: list[StageProgress], topics: list[TopicProgress]) -> tuple[int, int]:
    by_number = {t.number: t for t in topics}
    for stage in stages:
        if stage.assessment_passed:
            continue
        open_topics = [n for n in stage.topics if not by_number[n].project_done]
        # Every project ticked but the assessment not passed: the last topic is still current.
        if open_topics or stage.topics:
            return stage.number, open_topics[0] if open_topics else stage.topics[-1]
    last = stages[-1]
    return last.number, last.topics[-1]


def compute_pace(stages: tuple[Stage, ...], current: int, start: date, source: str, today: date) -> Pace:
    """Ahead when the current stage is reached before its earliest start in the plan,
    behind when its latest end has passed, on pace in between. Open-ended stages (持续)
    have no end, so nobody is behind in them."""
    # Judged at the tenth of a month the learner is shown: "ahead by 0.0 months" was possible
    # when 6.997 months fell just short of a stage starting at month 7.
    elapsed = round(max((today - start).days, 0) / DAYS_PER_MONTH, 1)
    lo = hi = 0.0
    window_start: tuple[float, float] = (0.0, 0.0)
    window_end: tuple[float | None, float | None] = (None, None)
    for stage in stages:
        window_start = (lo, hi)
        end_lo = lo + stage.min_months if stage.min_months is not None else None
        end_hi = hi + stage.max_months if stage.max_months is not None else None
        window_end = (end_lo, end_hi)
        if stage.number == current:
            break
        lo, hi = end_lo or lo, end_hi or hi
    if elapsed < window_start[0]:
        status, months = "ahead", window_start[0] - elapsed
    elif window_end[1] is not None and elapsed > window_end[1]:
        status, months = "behind", elapsed - window_end[1]
    else:
        status, months = "on pace", 0.0
    return Pace(start.isoformat(), source, elapsed, current, window_start, window_end, status, round(months, 1))


def _reading_by_topic(db: Database) -> dict[int, dict[str, int]]:
    rows = db.query(
        "SELECT pt.topic, COALESCE(r.status, 'new') AS status, COUNT(DISTINCT pt.paper_id) AS n"
        " FROM paper_topics pt LEFT JOIN reading r ON r.paper_id = pt.paper_id"
        " WHERE pt.confirmed >= 0 GROUP BY pt.topic, status"
    )
    out: dict[int, dict[str, int]] = {}
    for r in rows:
        out.setdefault(r["topic"], {})[r["status"]] = r["n"]
    return out


def _plan_papers_by_topic(db: Database) -> dict[int, set[str]]:
    """Plan papers already read, per topic."""
    rows = db.query(
        "SELECT pt.topic, pt.paper_id FROM paper_topics pt JOIN reading r ON r.paper_id = pt.paper_id"
        " WHERE pt.method = 'plan' AND r.status = 'read'"
    )
    out: dict[int, set[str]] = {}
    for r in rows:
        out.setdefault(r["topic"], set()).add(r["paper_id"])
    return out


def _notes_by_topic(db: Database) -> dict[int, int]:
    """Notes on the topic's papers plus the topic's own note (id topic-<n>)."""
    out: dict[int, int] = {}
    rows = db.query(
        "SELECT pt.topic, COUNT(DISTINCT n.id) AS n FROM notes n JOIN paper_topics pt ON pt.paper_id = n.paper_id"
        " WHERE pt.confirmed >= 0 GROUP BY pt.topic"
    )
    for r in rows:
        out[r["topic"]] = r["n"]
    for r in db.query("SELECT id FROM notes WHERE id LIKE 'topic-%'"):
        suffix = r["id"].removeprefix("topic-")
        if suffix.isdigit():
            out[int(suffix)] = out.get(int(suffix), 0) + 1
    return out


# -- marking ----------------------------------------------------------------------------------

def require_paper(db: Database, paper_id: str) -> str:
    """The paper's stored id (a trailing arXiv version is accepted and dropped)."""
    candidates = [paper_id.strip()]
    base, _, version = paper_id.strip().rpartition("v")
    if base and version.isdigit():
        candidates.append(base)
    for candidate in candidates:
        if papers.get_paper(db, candidate) is not None:
            return candidate
    raise UnknownPaperError(f"no paper {paper_id!r} in the knowledge base")


def set_reading(db: Database, paper_id: str, status: str) -> str:
    if status not in READING_STATES:
        raise ValueError(status)
    paper_id = require_paper(db, paper_id)
    papers.set_reading_status(db, paper_id, status)
    return paper_id


def rate(db: Database, paper_id: str, rating: str) -> str:
    if rating not in RATINGS:
        raise ValueError(rating)
    paper_id = require_paper(db, paper_id)
    papers.set_rating(db, paper_id, rating)
    return paper_id


def set_milestone(db: Database, kind: str, ref: int, done: bool = True,
                  detail: dict[str, Any] | None = None) -> None:
    """Tick (or untick) a practice project (ref = topic) or a stage assessment (ref = stage)."""
    with db.transaction() as conn:
        if done:
            conn.execute(
                "INSERT INTO milestones (kind, ref, detail, achieved_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT(kind, ref) DO UPDATE SET detail = excluded.detail",
                (kind, ref, json.dumps(detail or {}, ensure_ascii=False), utc_now()),
            )
        else:
            conn.execute("DELETE FROM milestones WHERE kind = ? AND ref = ?", (kind, ref))


def set_project_done(db: Database, plan: Plan, topic: int, done: bool = True) -> str:
    """Tick the practice project of `topic`; returns the project's text."""
    try:
        project = plan.topic(topic).project
    except KeyError:
        numbers = [t.number for t in plan.topics]
        raise UnknownTopicError(f"the plan has no topic {topic} (topics are {numbers[0]}–{numbers[-1]})") from None
    if not project:
        raise UnknownTopicError(f"topic {topic} has no practice project in the plan",
                                hint="only topics with a 实践项目 / Project line have one to tick")
    set_milestone(db, PROJECT, topic, done)
    return project
