"""`paperplan quiz`: a spaced-repetition session in the terminal, stage assessments, and
`paperplan quiz generate` for new cards.

The session reads answers line by line from stdin (so it can be piped) and writes each
review the moment the learner rates it: a session killed halfway keeps every rated answer.
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime
from typing import IO, Any

import typer
from typer._click.exceptions import UsageError

from kb.errors import PaperplanError

quiz_app = typer.Typer(invoke_without_command=True, no_args_is_help=False)

RATING_KEYS = {"a": 1, "again": 1, "1": 1, "h": 2, "hard": 2, "2": 2, "g": 3, "good": 3, "3": 3,
               "e": 4, "easy": 4, "4": 4}
RATING_NAMES = {1: "again", 2: "hard", 3: "good", 4: "easy"}
QUIT = {"q", ":q", "quit", "exit"}


class QuizInputError(PaperplanError):
    hint = "see `paperplan plan show` for topic and stage numbers, `paperplan status` for your papers"


def card_json(card: Any) -> dict[str, Any]:
    return {"id": card.id, "type": card.type, "question": card.question, "options": card.options,
            "answer": card.answer, "paper_id": card.paper_id, "section": card.section, "pages": card.pages,
            "source_quote": card.source_quote, "topic": card.topic, "chunk_id": card.chunk_id}


def _check_scope(svc: Any, topic: int | None, stage: int | None) -> None:
    if topic is not None and topic not in {t.number for t in svc.plan.topics}:
        raise QuizInputError(f"topic {topic} is not in the plan (topics are 1-{len(svc.plan.topics)})")
    if stage is not None and stage not in {s.number for s in svc.plan.stages}:
        raise QuizInputError(f"stage {stage} is not in the plan (stages are 1-{len(svc.plan.stages)})")


@quiz_app.callback()
def quiz(
    ctx: typer.Context,
    topic: int | None = typer.Option(None, "--topic", help="Only cards of this plan topic."),
    stage: int | None = typer.Option(None, "--stage", help="Only cards of this plan stage's topics."),
    count: int | None = typer.Option(None, "--count", min=1, help="Most cards in the session (default quiz.session_cards)."),
    assessment: bool = typer.Option(False, "--assessment", help="Take the stage assessment of --stage (pass mark: quiz.pass_mark)."),
) -> None:
    """Run a session: due cards first, then new ones, mixing the current stage's topics.

    Type the answer (a letter for multiple choice), then rate your recall: a(gain), h(ard),
    g(ood), e(asy); enter takes the suggested rating. q quits; every rated answer is saved.
    """
    if ctx.invoked_subcommand is not None:
        return
    from paperplan import cli  # at call time: the CLI module imports this one

    svc = cli.services()
    _check_scope(svc, topic, stage)
    if assessment:
        if stage is None:
            raise UsageError("--assessment needs --stage N", ctx=ctx)
        run_assessment(svc, stage, count, sys.stdin, sys.stdout)
        return
    now = datetime.now(UTC)
    cards = svc.quiz.session(now, topic=topic, stage=stage, count=count)
    if not cards:
        where = f" for topic {topic}" if topic is not None else f" for stage {stage}" if stage is not None else ""
        typer.echo(f"Nothing to review{where}: no cards are due and there are no new ones.")
        typer.echo(f"Make some with: paperplan quiz generate --{'topic ' + str(topic) if topic is not None else 'stage ' + str(stage or svc.quiz.current_stage())}")
        return
    due = sum(1 for c in cards if not c.is_new)
    typer.echo(f"{len(cards)} cards: {due} due, {len(cards) - due} new. Type q to stop; each rated answer is saved.")
    answered = run_cards(svc, cards, sys.stdin, sys.stdout)
    right = sum(a.grade.correct for a in answered)
    typer.echo(f"\nSession done: {right} of {len(answered)} right. "
               f"Due now: {_due_now(svc)}.")


def _due_now(svc: Any) -> int:
    from kb.cards import due_count

    return due_count(svc.db, datetime.now(UTC))


def _read(stream: IO[str], out: IO[str], prompt: str) -> str | None:
    """One line from the learner; None at end of input."""
    out.write(prompt)
    out.flush()
    line = stream.readline()
    if not line:
        return None
    return line.rstrip("\r\n")


def _title(svc: Any, paper_id: str | None) -> str:
    if not paper_id:
        return ""
    return str(svc.db.scalar("SELECT title FROM papers WHERE id = ?", (paper_id,)) or "")


def show_card(out: IO[str], svc: Any, card: Any, index: int, total: int) -> None:
    topic = f"topic {card.topic}" if card.topic is not None else "no topic"
    label = {"mcq": "multiple choice", "short": "short answer", "cloze": "fill the blank"}.get(card.type, card.type)
    out.write(f"\n[{index}/{total}] {topic} · {label}{' · new' if card.is_new else ''}\n{card.question}\n")
    for letter, option in zip("abcdefgh", card.options, strict=False):
        out.write(f"  {letter}) {option}\n")


def show_source(out: IO[str], svc: Any, card: Any) -> None:
    where = ", ".join(x for x in (card.section, f"p. {card.pages}" if card.pages else "") if x)
    out.write(f"source: {_title(svc, card.paper_id)} ({card.paper_id}){', ' + where if where else ''}\n")
    if card.source_quote:
        out.write(f"  “{card.source_quote}”\n")


def run_cards(svc: Any, cards: list[Any], stream: IO[str], out: IO[str]) -> list[Any]:
    """Ask each card, grade it, show the source, take the rating and save the review at once."""
    answered: list[Any] = []
    for index, card in enumerate(cards, 1):
        show_card(out, svc, card, index, len(cards))
        started = time.monotonic()
        given = _read(stream, out, "answer> ")
        if given is None or given.strip().lower() in QUIT:
            break
        grade = svc.quiz.grade(card, given)
        out.write(("✓ " if grade.correct else "✗ ") + grade.explanation + "\n")
        show_source(out, svc, card)
        rating = None
        while rating is None:
            raw = _read(stream, out, f"rate a(gain) h(ard) g(ood) e(asy) [enter: {RATING_NAMES[grade.suggested_rating]}]> ")
            key = (raw or "").strip().lower()
            if key in QUIT:
                return answered  # stopped before rating: this answer is not saved
            if not key:
                rating = grade.suggested_rating
            elif key in RATING_KEYS:
                rating = RATING_KEYS[key]
            else:
                out.write("type a, h, g or e\n")
        duration = int((time.monotonic() - started) * 1000)
        result = svc.quiz.review(card, given, grade, rating, datetime.now(UTC), duration_ms=duration)
        answered.append(result)
        out.write(f"saved ({RATING_NAMES[result.rating]}); next review {result.next_due:%Y-%m-%d %H:%M} UTC\n")
        out.flush()
    return answered


def run_assessment(svc: Any, stage: int, count: int | None, stream: IO[str], out: IO[str]) -> None:
    plan_stage = svc.plan.stage(stage)
    quiz = svc.quiz
    wanted = count or quiz.config.assessment_cards
    out.write(f"Stage {stage} assessment: {plan_stage.title}\n")
    if plan_stage.assessment:
        out.write(f"The plan's goal (阶段性评估): {plan_stage.assessment}\n")
    cards = quiz.assessment(stage, wanted)
    if len(cards) < wanted:
        missing = wanted - len(cards)
        typer.echo(f"generating {missing} more cards for stage {stage}'s topics…", err=True)
        quiz.generate_for_topics(quiz.stage_topics(stage), missing, progress=_progress)
        cards = quiz.assessment(stage, wanted)
    if not cards:
        raise QuizInputError(f"stage {stage} has no cards to assess with",
                             hint=f"read and ingest papers of its topics, then `paperplan quiz generate --stage {stage}`")
    out.write(f"{len(cards)} questions; pass mark {quiz.config.pass_mark:.0%}.\n")
    answered = run_cards(svc, cards, stream, out)
    if len(answered) < len(cards):
        out.write(f"\nAssessment stopped after {len(answered)} of {len(cards)} questions: not scored. "
                  "Your answers are saved for spaced repetition.\n")
        return
    result = quiz.finish_assessment(stage, answered)
    verdict = "PASSED — recorded as a milestone" if result.passed else "not passed yet"
    out.write(f"\nStage {stage} assessment: {result.right} of {result.asked} right ({result.score:.0%}), "
              f"pass mark {result.pass_mark:.0%}: {verdict}.\n")


def _progress(done: int, total: int) -> None:
    typer.echo(f"  card {done}/{total}", err=True)


@quiz_app.command("generate")
def generate(
    paper: str | None = typer.Option(None, "--paper", help="Cards for this paper (its arXiv id)."),
    topic: int | None = typer.Option(None, "--topic", help="Cards spread over this topic's papers."),
    stage: int | None = typer.Option(None, "--stage", help="Cards spread over this stage's topics."),
    count: int | None = typer.Option(None, "--count", min=1, max=200,
                                     help="Cards to make (default: quiz.cards_per_paper for a paper, 5 a topic)."),
    json_output: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
) -> None:
    """Generate checked cards from a paper's passages, a topic's papers or a stage's topics."""
    from paperplan import cli

    if sum(x is not None for x in (paper, topic, stage)) != 1:
        raise UsageError("give exactly one of --paper ID, --topic N or --stage N")
    svc = cli.services()
    _check_scope(svc, topic, stage)
    quiz = svc.quiz
    if paper is not None:
        from kb.papers import get_paper

        if get_paper(svc.db, paper) is None:
            raise QuizInputError(f"no paper {paper!r} in the knowledge base",
                                 hint=f"add it with `paperplan ingest --ids {paper}`")
        report = quiz.generate_for_papers([paper], count, progress=_progress)
        if report.papers_without_text:
            raise QuizInputError(f"paper {paper} has no text to make cards from (no abstract or full text)",
                                 hint=f"fetch it with `paperplan ingest --ids {paper}`")
    else:
        topics = [topic] if topic is not None else quiz.stage_topics(stage)
        report = quiz.generate_for_topics(topics, count or 5 * len(topics), progress=_progress)
    summary = report.to_dict()
    if json_output:
        cli.emit_json({"cards": [card_json(c) for c in report.cards], "summary": summary})
        return
    for card in report.cards:
        typer.echo(f"[{card.type}] {card.question}")
        for letter, option in zip("abcd", card.options, strict=False):
            typer.echo(f"    {letter}) {option}")
        typer.echo(f"    answer: {card.answer}   ({card.paper_id}{', ' + card.section if card.section else ''})")
    typer.echo(f"{len(report.cards)} new cards stored; {summary['drafts']} drafts, "
               f"{summary['pass_share']:.0%} passed the checks, {len(report.dropped)} dropped.")
