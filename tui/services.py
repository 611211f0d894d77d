"""What the screens need, and nothing more: the plan, the database, and optional capabilities.

The composition root (paperplan) fills a `TuiServices` from its real services; tests fill
it with a seeded database and fakes. A capability left as None shows on its screen as
"not available yet" instead of failing. Each capability is a small protocol in the
screens' own terms, so the screens never learn how the agent or the ingester is built.

Everything here is light to import: the first frame must not wait for a model.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Protocol

from kb.db import Database
from kb.plan import Plan

# (done, total, what is happening) — reported from worker threads.
ProgressFn = Callable[[int, int, str], None]


@dataclass(frozen=True)
class Citation:
    """One numbered source of an answer: where the passage is, and its words."""

    number: int
    paper_id: str
    title: str
    section: str = ""
    pages: str = ""
    quote: str = ""
    chunk_id: str = ""


@dataclass(frozen=True)
class Answer:
    text: str
    citations: Sequence[Citation] = ()


class AskFn(Protocol):
    """Answer a question (about one paper when paper_id is given), streaming text pieces to
    `on_text` as they come; returns the whole answer with its citations. Runs off the UI
    thread; may load models on first call."""

    def __call__(self, question: str, paper_id: str | None, on_text: Callable[[str], None]) -> Answer: ...


@dataclass(frozen=True)
class QuizCard:
    id: str
    question: str
    kind: str = "short"  # mcq | short | cloze
    options: Sequence[str] = ()
    paper_id: str = ""
    title: str = ""
    topic: int | None = None
    section: str = ""
    pages: str = ""
    source_quote: str = ""


@dataclass(frozen=True)
class QuizResult:
    correct: bool
    expected: str
    feedback: str = ""
    suggested_rating: int = 3  # 1 again, 2 hard, 3 good, 4 easy


class QuizPort(Protocol):
    def session(self, topic: int | None, paper_id: str | None) -> list[QuizCard]:
        """The cards of one session: due ones first, then new ones (generating them if needed)."""
        ...

    def grade(self, card: QuizCard, given: str) -> QuizResult:
        """Grade an answer; nothing is recorded yet."""
        ...

    def review(self, card: QuizCard, given: str, rating: int) -> str:
        """Record the answer with the learner's recall rating; returns when the card is due next."""
        ...


@dataclass(frozen=True)
class JobInfo:
    id: str
    name: str
    schedule: str = ""
    next_run: str = ""
    last_started: str = ""
    last_ok: bool | None = None
    last_summary: str = ""


class JobsPort(Protocol):
    def list(self) -> list[JobInfo]: ...

    def run(self, job_id: str, progress: ProgressFn) -> dict[str, Any]:
        """Run a job now, in the calling (worker) thread; returns its summary."""
        ...


class IngestFn(Protocol):
    """Ingest arXiv ids, or the results of a search query; returns a summary."""

    def __call__(self, ids: Sequence[str], query: str, progress: ProgressFn) -> dict[str, Any]: ...


@dataclass(frozen=True)
class NoteText:
    text: str
    path: Path
    version: str = ""  # opaque; a save with a stale version is refused instead of overwriting


class NotesPort(Protocol):
    def load(self, paper_id: str) -> NoteText: ...

    def save(self, paper_id: str, text: str, version: str) -> NoteText: ...


class TopicReviewPort(Protocol):
    """The learner's word on a paper's topics; may re-embed topic profiles (run it in a worker)."""

    def confirm(self, paper_id: str, topic: int) -> None: ...

    def correct(self, paper_id: str, wrong_topic: int, right_topic: int) -> None: ...


@dataclass(frozen=True)
class DayStat:
    day: date
    reviews: int
    recall: float | None = None  # share of that day's reviews answered right; None without reviews


class RecommendFn(Protocol):
    """Compute this week's picks now (they are read back from the recommendations table)."""

    def __call__(self, now: datetime) -> int: ...


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class TuiServices:
    plan: Plan
    db: Database
    data_dir: Path
    now: Callable[[], datetime] = _utc_now
    start_date: date | None = None
    """The configured day the plan was started (pace); None means the day of `init`."""
    warm_up: Callable[[], None] | None = field(default=None, repr=False)
    """Load the embedder and the LLM (slow); called once from a worker before the first answer."""
    ask: AskFn | None = None
    quiz: QuizPort | None = None
    recommend: RecommendFn | None = None
    jobs: JobsPort | None = None
    ingest: IngestFn | None = None
    notes: NotesPort | None = None
    topics: TopicReviewPort | None = None
