"""A seeded, deterministic knowledge base for the TUI tests: the plan's real snapshot papers
(SQLite only, no vectors needed to draw the screens), reading states, quiz cards reviewed on
fixed days, this week's picks and two recorded runs. The clock is fixed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from agent.recommend import Pick, iso_week, store_picks
from kb import cards, papers
from kb.db import Database
from kb.plan import Plan, load_plan
from kb.snapshot import abstract_chunk, paper_from_record, snapshot_records
from kb.types import Chunk, TopicAssignment
from tui.services import Answer, Citation, JobInfo, ProgressFn, QuizCard, QuizResult, TuiServices

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
START = "2026-09-01"
MMML = "1705.09406"  # Multimodal Machine Learning: A Survey and Taxonomy (topic 1)
METHOD_TEXT = ("We identify five core technical challenges of multimodal machine learning: representation, "
               "translation, alignment, fusion and co-learning.")


def seed_database(db: Database, plan: Plan) -> None:
    papers.sync_topics(db, plan)
    records = snapshot_records()
    for topic, resource in plan.surveys:
        record = records.get(resource.arxiv_id or "")
        if record is None:
            continue
        paper = paper_from_record(record, plan_resource=True)
        papers.upsert_paper(db, paper)
        papers.set_topic_assignments(db, paper.id, [TopicAssignment(
            paper.id, topic, 1.0, "plan", f"the plan recommends it for topic {topic}", 1)])
        stored = papers.get_paper(db, paper.id)
        assert stored is not None
        papers.replace_chunks(db, paper.id, [abstract_chunk(stored)])
    papers.upsert_paper(db, paper_from_record(records[MMML], plan_resource=True))
    papers.set_topic_assignments(db, MMML, [TopicAssignment(MMML, 1, 1.0, "plan", "the plan's founding survey", 1)])
    papers.replace_chunks(db, MMML, [
        abstract_chunk(papers.get_paper(db, MMML)),  # type: ignore[arg-type]
        Chunk(MMML, 1, "body", METHOD_TEXT, section="1 Introduction", page_first=2, page_last=2),
    ])
    for paper_id, status in (("2412.18619", "read"), (MMML, "read"), ("2101.01169", "reading"),
                             ("2502.01524", "queued")):
        papers.set_reading_status(db, paper_id, status)
    papers.set_rating(db, "2412.18619", "up")
    with db.transaction() as conn:
        conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('plan_start', ?)", (START,))
        conn.executemany(
            "INSERT INTO runs (kind, started, finished, ok, summary) VALUES (?, ?, ?, ?, ?)",
            [("nightly", "2026-11-24T02:30:00+00:00", "2026-11-24T02:41:12+00:00", 1,
              '{"new_papers": 14, "fulltext": 3, "cards": 6}'),
             ("ingest", "2026-11-24T21:05:00+00:00", "2026-11-24T21:05:40+00:00", 0,
              '{"error": "HTTPError: 503 from export.arxiv.org"}')])
    seed_cards(db)
    week = iso_week(NOW.date())
    store_picks(db, week, [
        Pick("2502.10816", "BalanceBenchmark: A Survey for Multimodal Imbalance Learning", [3], 0.81,
             "Topic 3 (多模态融合与对齐技术) is your weakest so far, and you rated a fusion survey up."),
        Pick("2502.08826", "Ask in Any Modality: A Comprehensive Survey on Multimodal Retrieval-Augmented "
             "Generation", [4], 0.74, "Next in the plan's order after topic 3; recent (Feb 2025)."),
    ])


def seed_cards(db: Database) -> None:
    scheduler = cards.make_scheduler(fuzz=False)
    made = [
        cards.Card("mcq", "Which challenge is about combining information from two or more modalities?",
                   "fusion", MMML, options=["translation", "fusion", "alignment", "co-learning"], topic=1,
                   chunk_id=f"{MMML}:v0:1", section="1 Introduction", page_first=2, page_last=2,
                   source_quote=METHOD_TEXT),
        cards.Card("cloze", "Multimodal ML has five core challenges: representation, translation, ____, fusion "
                   "and co-learning.", "alignment", MMML, topic=1, chunk_id=f"{MMML}:v0:1",
                   section="1 Introduction", page_first=2, page_last=2, source_quote=METHOD_TEXT),
    ]
    cards.add_cards(db, made)
    for days_ago, rating in ((9, 3), (6, 1), (4, 3), (2, 3)):
        cards.record_review(db, made[0].id, rating, NOW - timedelta(days=days_ago), scheduler=scheduler,
                            correct=rating >= 3)


def seeded_services(data_dir: Path, **ports: object) -> TuiServices:
    db = Database(data_dir / "paperplan.db")
    plan = load_plan()
    seed_database(db, plan)
    return TuiServices(plan=plan, db=db, data_dir=data_dir, now=lambda: NOW, **ports)  # type: ignore[arg-type]


class CannedAsk:
    """The Ask screen's port answering from a script: for drawing the screen only."""

    def __init__(self, pieces: Sequence[str], citations: Sequence[Citation]) -> None:
        self.pieces, self.citations = pieces, citations

    def __call__(self, question: str, paper_id: str | None, on_text) -> Answer:  # type: ignore[no-untyped-def]
        for piece in self.pieces:
            on_text(piece)
        return Answer("".join(self.pieces), self.citations)


class CannedQuiz:
    def __init__(self, session: list[QuizCard]) -> None:
        self.cards = session

    def session(self, topic: int | None, paper_id: str | None) -> list[QuizCard]:
        return list(self.cards)

    def grade(self, card: QuizCard, given: str) -> QuizResult:
        right = given == "fusion"
        return QuizResult(correct=right, expected="fusion", feedback="right." if right else "the answer is: fusion",
                          suggested_rating=3 if right else 1)

    def review(self, card: QuizCard, given: str, rating: int) -> str:
        return "2026-12-01 10:00"


class CannedJobs:
    """The service's schedule as `paperplan jobs` would list it on the fixed day."""

    def list(self) -> list[JobInfo]:
        return [JobInfo("nightly", "nightly", "30 2 * * *", "2026-11-26 02:30 UTC", "2026-11-24T02:30:00+00:00", True,
                        "new_papers 14, fulltext 3, cards 6"),
                JobInfo("weekly", "weekly", "0 8 * * mon", "2026-11-30 08:00 UTC", "", None, "")]

    def run(self, job_id: str, progress: ProgressFn) -> dict[str, object]:
        progress(0, 0, f"running {job_id}…")
        return {"new_papers": 0}
