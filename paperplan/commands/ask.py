"""`paperplan ask`: a cited answer from the knowledge base, or the ranked passages alone."""

from __future__ import annotations

import logging
import sys
from typing import Any

import typer

from kb.errors import PaperplanError
from kb.types import pages_label

log = logging.getLogger(__name__)


class AskError(PaperplanError):
    hint = "see `paperplan plan show` for topic and stage numbers and `paperplan status` for what the KB holds"


def ask(
    question: str = typer.Argument(..., help="Your question, in English or Chinese."),
    paper: str | None = typer.Option(None, "--paper", help="Only this paper (its arXiv id)."),
    topic: int | None = typer.Option(None, "--topic", help="Only papers of this plan topic."),
    stage: int | None = typer.Option(None, "--stage", help="Only papers of this plan stage."),
    k: int = typer.Option(6, "--k", min=1, max=20, help="Passages to retrieve."),
    retrieve_only: bool = typer.Option(False, "--retrieve-only", help="Show the ranked passages; no LLM."),
    json_output: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
) -> None:
    """Answer a question from your papers and notes, citing the exact passages."""
    from paperplan import cli  # at call time: the CLI module imports this one

    svc = cli.services()
    scope = build_scope(svc, paper, topic, stage)
    if not question.strip():
        raise AskError("the question is empty", hint='ask something, e.g. paperplan ask "what is late fusion?"')
    index_latest_notes(svc)
    if retrieve_only:
        passages = svc.retriever.search(question, k=k, scope=scope)
        if json_output:
            cli.emit_json({"passages": [passage_json(p) for p in passages]})
        else:
            render_passages(passages)
        return
    if json_output:
        answer = svc.asker.ask(question, scope=scope, k=k)
        cli.emit_json(answer.to_json())
        return

    def show(text: str) -> None:
        sys.stdout.write(text)
        sys.stdout.flush()

    answer = svc.asker.ask(question, scope=scope, k=k, on_text=show)
    typer.echo("")
    render_citations(answer)


def index_latest_notes(svc: Any) -> None:
    """Index notes saved in the TUI or edited outside the app since the last sync, so the
    question is answered from the learner's latest notes and not only the nightly ones. A note
    that cannot be indexed is logged and the question is answered from what is indexed."""
    try:
        report = svc.notes.sync()
    except PaperplanError as exc:
        log.warning("your latest notes could not be indexed, answering from the indexed ones: %s", exc)
        return
    for error in report.errors:
        log.warning("a note could not be indexed: %s", error)


def build_scope(svc: Any, paper: str | None, topic: int | None, stage: int | None) -> Any:
    from kb import papers
    from kb.retrieval import Scope

    numbers = {t.number for t in svc.plan.topics}
    if topic is not None and topic not in numbers:
        raise AskError(f"the plan has no topic {topic} (topics are {min(numbers)}–{max(numbers)})")
    stages = {s.number for s in svc.plan.stages}
    if stage is not None and stage not in stages:
        raise AskError(f"the plan has no stage {stage} (stages are {min(stages)}–{max(stages)})")
    if paper is not None and papers.get_paper(svc.db, paper) is None:
        raise AskError(f"no paper {paper!r} in the knowledge base",
                       hint=f"ingest it first (`paperplan ingest --ids {paper}`), or check the id with `paperplan status`")
    return Scope(paper=paper, topic=topic, stage=stage)


def passage_json(passage: Any) -> dict[str, Any]:
    chunk = passage.chunk
    return {"paper_id": chunk.paper_id, "section": chunk.section, "pages": [chunk.page_first, chunk.page_last],
            "text": chunk.text, "score": passage.score}



def render_passages(passages: list[Any]) -> None:
    if not passages:
        typer.echo("no passages found (is the knowledge base empty? `paperplan status` shows what it holds)")
    for i, p in enumerate(passages, 1):
        chunk = p.chunk
        section = "your note" if chunk.kind == "note" else chunk.section
        where = ", ".join(x for x in (section, pages_label(chunk.page_first, chunk.page_last)) if x)
        typer.echo(f"{i:>2}. {chunk.paper_id}  {p.title[:70]}  [{where}]  score {p.score:.4f}")
        text = " ".join(chunk.text.split())
        typer.echo(f"    {text[:300]}{'…' if len(text) > 300 else ''}")


def render_citations(answer: Any) -> None:
    if not answer.citations:
        return
    typer.echo("")
    for c in answer.citations:
        where = ", ".join(x for x in (c.section, pages_label(*c.pages)) if x)
        typer.echo(f"[{c.n}] {c.title} ({c.paper_id}){' — ' + where if where else ''}")
        typer.echo(f"    “{c.quote}”")
