"""Composition for the TUI: the real services, adapted to the small ports the screens use.

Nothing here loads a model: every adapter reaches its service (and so the embedder, Chroma
or the LLM) on its first call, which the screens make from worker threads.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from kb import papers
from kb.errors import PaperplanError
from kb.types import pages_label
from paperplan.commands.service import log_to_data_dir
from paperplan.wiring import Services
from tui.queries import summarise
from tui.services import Answer, Citation, JobInfo, NoteText, ProgressFn, QuizCard, QuizResult, TuiServices

HOLDER_TUI = "paperplan tui"

if TYPE_CHECKING:
    from agent.ask import Chat
    from agent.quiz import Grade
    from kb.cards import Card


class NoteConflict(PaperplanError):
    hint = "merge the two files by hand (the app did not overwrite anything), then reopen the paper"



class AskAdapter:
    """One conversation per scope (a paper, or every paper), so follow-up questions work."""

    def __init__(self, svc: Services) -> None:
        self.svc = svc
        self.chats: dict[str | None, Chat] = {}

    def __call__(self, question: str, paper_id: str | None, on_text: Callable[[str], None]) -> Answer:
        from agent.ask import Chat
        from kb.retrieval import Scope
        from paperplan.commands.ask import index_latest_notes

        index_latest_notes(self.svc)  # a note saved a moment ago (index=False) is part of the answer
        chat = self.chats.get(paper_id)
        if chat is None:
            chat = self.chats[paper_id] = Chat(self.svc.asker, Scope(paper=paper_id) if paper_id else None)
        answer = chat.ask(question, on_text=on_text)
        citations = []
        # A refusal lists the passages that came closest, so the learner can open them.
        for c in answer.citations or answer.closest:
            passage = answer.passages[c.n - 1] if 0 < c.n <= len(answer.passages) else None
            citations.append(Citation(number=c.n, paper_id=c.paper_id, title=c.title, section=c.section,
                                      pages=pages_label(*c.pages), quote=c.quote,
                                      chunk_id=passage.chunk.id if passage else ""))
        return Answer(answer.answer, citations)


class QuizAdapter:
    def __init__(self, svc: Services, now: Callable[[], datetime]) -> None:
        self.svc = svc
        self.now = now
        self.cards: dict[str, Card] = {}
        self.grades: dict[str, Grade] = {}

    def session(self, topic: int | None, paper_id: str | None) -> list[QuizCard]:
        quiz, now = self.svc.quiz, self.now()
        cards = quiz.session(now, topic=topic, paper_id=paper_id)
        if not cards and paper_id:  # "quiz me on this": make the paper's cards first
            quiz.generate_for_papers([paper_id])
            cards = quiz.session(now, paper_id=paper_id)
        self.cards.update((c.id, c) for c in cards)
        titles = {pid: p.title for pid in {c.paper_id for c in cards if c.paper_id}
                  if (p := papers.get_paper(self.svc.db, pid))}
        return [QuizCard(id=c.id, question=c.question, kind=c.type, options=tuple(c.options),
                         paper_id=c.paper_id or "", title=titles.get(c.paper_id or "", ""), topic=c.topic,
                         section=c.section, pages=pages_label(c.page_first, c.page_last), source_quote=c.source_quote)
                for c in cards]

    def grade(self, card: QuizCard, given: str) -> QuizResult:
        grade = self.svc.quiz.grade(self.cards[card.id], given)
        self.grades[card.id] = grade
        return QuizResult(correct=grade.correct, expected=self.cards[card.id].answer, feedback=grade.explanation,
                          suggested_rating=grade.suggested_rating)

    def review(self, card: QuizCard, given: str, rating: int) -> str:
        answered = self.svc.quiz.review(self.cards[card.id], given, self.grades.pop(card.id), rating, self.now())
        return answered.next_due.astimezone().strftime("%Y-%m-%d %H:%M")


class NotesAdapter:
    """The paper's note body in the editor; the vault keeps its front matter and refuses to
    overwrite a file changed outside the app (the text then goes to a side file)."""

    def __init__(self, svc: Services) -> None:
        self.svc = svc

    def load(self, paper_id: str) -> NoteText:
        note = self.svc.notes.read(paper_id)
        return NoteText(note.body, note.path, note.hash)

    def save(self, paper_id: str, text: str, version: str) -> NoteText:
        # index=False: the file is written at once, so a save never waits for the embedding
        # model; the next question (AskAdapter) or the nightly `notes sync` embeds it.
        result = self.svc.notes.save(paper_id, text, version, index=False)
        if result.conflict is not None:
            raise NoteConflict(f"the note {result.path} changed outside the app; your text was saved to "
                               f"{result.conflict}")
        return NoteText(text, result.path, result.hash)


class TopicsAdapter:
    def __init__(self, svc: Services) -> None:
        self.svc = svc

    def confirm(self, paper_id: str, topic: int) -> None:
        self.svc.topic_mapper.confirm(paper_id, topic)

    def correct(self, paper_id: str, wrong_topic: int, right_topic: int) -> None:
        self.svc.topic_mapper.correct(paper_id, wrong_topic, right_topic)


class IngestProgress:
    """ingest's stage progress (fetch, download, parse, embed) as the Jobs screen's one bar."""

    def __init__(self, report: ProgressFn) -> None:
        self.report = report
        self.stage, self.done, self.total = "", 0, 0

    def start(self, stage: str, total: int | None = None) -> None:
        self.stage, self.done, self.total = stage, 0, total or 0
        self.report(0, self.total, f"{stage}…")

    def advance(self, stage: str, n: int = 1) -> None:
        if stage != self.stage:
            self.start(stage)
        self.done += n
        self.report(self.done, self.total, f"{stage} {self.done}" + (f"/{self.total}" if self.total else ""))

    def note(self, message: str) -> None:
        self.report(self.done, self.total, message)


def ingest_now(svc: Services, ids: Sequence[str], query: str, progress: ProgressFn) -> dict[str, Any]:
    """The CLI's ingest run (under the ingest lock, recorded in runs), reporting to the screen."""
    from paperplan.commands.ingest import run_ingest

    report = run_ingest(svc, ids=ids, query=query or None, progress=IngestProgress(progress), holder=HOLDER_TUI)
    return report.to_json()


class JobsAdapter:
    """The service's jobs as `paperplan jobs` shows them; "run now" runs one in the worker."""

    def __init__(self, svc: Services, now: Callable[[], datetime]) -> None:
        self.svc = svc
        self.now = now

    def list(self) -> list[JobInfo]:
        from paperplan.commands.service import collect_jobs

        out = []
        for job in collect_jobs(self.svc, self.now())["jobs"]:
            last = job["last_run"] or {}
            next_run = datetime.fromisoformat(job["next_run"]).astimezone() if job["next_run"] else None
            out.append(JobInfo(
                id=job["id"], name=job["id"], schedule=job["schedule"],
                next_run=next_run.strftime("%Y-%m-%d %H:%M %Z") if next_run else "",
                last_started=last.get("started") or "", last_ok=last.get("ok"),
                last_summary=summarise(json.dumps(last.get("summary") or {}, ensure_ascii=False, default=str))))
        return out

    def run(self, job_id: str, progress: ProgressFn) -> dict[str, Any]:
        from paperplan.jobs import run_job

        progress(0, 0, f"running {job_id}… (its steps are logged to logs/paperplan.log)")
        return run_job(self.svc, job_id, holder=HOLDER_TUI)


def warm_up(svc: Services) -> None:
    """Load the embedding model, open the vector store and load the LLM before the first answer."""
    from agent.providers import load_model

    svc.embedder.embed_query("warm up")
    svc.kb.vectors.count()
    load_model(svc.llm)


def recommend_now(svc: Services, now: datetime) -> int:
    _week, picks = svc.recommender.recommend(now=now)
    return len(picks)


def tui_services(svc: Services, now: Callable[[], datetime] | None = None) -> TuiServices:
    """Every capability that exists in this build, wired lazily."""
    clock = now or (lambda: datetime.now(UTC))
    return TuiServices(
        plan=svc.plan, db=svc.db, data_dir=svc.paths.root, start_date=svc.settings.plan.start_date,
        now=clock, warm_up=lambda: warm_up(svc), ask=AskAdapter(svc), quiz=QuizAdapter(svc, clock),
        recommend=lambda moment: recommend_now(svc, moment), notes=NotesAdapter(svc), topics=TopicsAdapter(svc),
        ingest=lambda ids, query, progress: ingest_now(svc, ids, query, progress), jobs=JobsAdapter(svc, clock),
    )


def start_process_helpers() -> None:
    """Start multiprocessing's resource tracker while sys.stderr is still the terminal.

    The PDF parser runs in a spawned worker process, and spawning first starts the resource
    tracker, handing it sys.stderr's file descriptor. Inside the app sys.stderr is Textual's
    print capture (fileno -1), so a first ingest started from the Jobs screen would fail
    with "bad value(s) in fds_to_keep". Started here, before the app takes the terminal, the
    tracker is already running when ingest needs it.
    """
    from multiprocessing import resource_tracker

    resource_tracker.ensure_running()


def run_tui(svc: Services) -> None:
    from tui.app import build_app

    start_process_helpers()
    # While the app owns the terminal, log lines go to the data dir's log file only: a handler
    # still writing to the terminal's stderr would draw over the screen.
    log_to_data_dir(svc, console=False)
    build_app(tui_services(svc)).run()

