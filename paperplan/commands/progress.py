"""progress, read, queue, rate and project: where the learner stands and how they mark it."""

from __future__ import annotations

from typing import Any

import typer

from kb.errors import PaperplanError

project_app = typer.Typer(help="The plan's practice projects (实践项目), one per topic.", no_args_is_help=True)


class RatingError(PaperplanError):
    hint = "give exactly one of --up, --down, --too-hard, --too-easy"


def progress(json_output: bool = typer.Option(False, "--json", help="Print one JSON document on stdout.")) -> None:
    """Where you stand: per topic and stage, the current topic, and pace against the plan."""
    from paperplan import cli

    report = cli.services().recommender.progress()
    if json_output:
        cli.emit_json(report.to_dict())
        return
    render_progress(report)


def read(paper_id: str = typer.Argument(..., help="The paper's arXiv id (or sha256:… id)."),
         started: bool = typer.Option(False, "--started", help="Mark it as being read, not finished.")) -> None:
    """Mark a paper as read (or, with --started, as being read)."""
    from kb.progress import set_reading
    from paperplan import cli

    stored = set_reading(cli.services().db, paper_id, "reading" if started else "read")
    typer.echo(f"{stored}: {'reading' if started else 'read'}")


def queue(paper_id: str = typer.Argument(..., help="The paper's arXiv id (or sha256:… id).")) -> None:
    """Put a paper on your reading queue (recommendations favour it)."""
    from kb.progress import set_reading
    from paperplan import cli

    stored = set_reading(cli.services().db, paper_id, "queued")
    typer.echo(f"{stored}: queued")


def rate(paper_id: str = typer.Argument(..., help="The paper's arXiv id (or sha256:… id)."),
         up: bool = typer.Option(False, "--up", help="More like this."),
         down: bool = typer.Option(False, "--down", help="Less like this."),
         too_hard: bool = typer.Option(False, "--too-hard", help="Surveys first on this topic."),
         too_easy: bool = typer.Option(False, "--too-easy", help="Frontier papers first on this topic.")) -> None:
    """Rate a paper; the next recommendations follow your ratings."""
    from kb.progress import rate as store_rating
    from paperplan import cli

    chosen = [name for name, flag in (("up", up), ("down", down), ("too-hard", too_hard), ("too-easy", too_easy))
              if flag]
    if len(chosen) != 1:
        raise RatingError(f"rating {paper_id}: got {len(chosen)} ratings ({', '.join(chosen) or 'none'})")
    stored = store_rating(cli.services().db, paper_id, chosen[0])
    typer.echo(f"{stored}: rated {chosen[0]}")


@project_app.command("done")
def project_done(topic: int = typer.Argument(..., help="The topic number (1–12 in the shipped plan).")) -> None:
    """Tick the practice project of a topic."""
    from kb.progress import set_project_done
    from paperplan import cli

    svc = cli.services()
    text = set_project_done(svc.db, svc.plan, topic, done=True)
    typer.echo(f"topic {topic} project done: {text}")


@project_app.command("undo")
def project_undo(topic: int = typer.Argument(..., help="The topic number.")) -> None:
    """Untick the practice project of a topic."""
    from kb.progress import set_project_done
    from paperplan import cli

    svc = cli.services()
    text = set_project_done(svc.db, svc.plan, topic, done=False)
    typer.echo(f"topic {topic} project not done: {text}")


def render_progress(report: Any) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    current = report.topic(report.current_topic)
    console.print(f"[bold]Stage {report.current_stage}, topic {current.number} "
                  f"{current.title_en or current.title}[/bold]")
    console.print(report.pace.text)
    table = Table(box=None, pad_edge=False)
    table.add_column("topic", no_wrap=True, overflow="ellipsis", max_width=22)
    for column in ("read", "reading", "queue", "notes", "cards", "due", "mastery", "proj"):
        table.add_column(column, justify="right", no_wrap=True, min_width=len(column))
    stage_passed = {s.number: s.assessment_passed for s in report.stages}
    last_stage = None
    for t in report.topics:
        if t.stage != last_stage:
            mark = "passed" if stage_passed[t.stage] else "open"
            table.add_row(f"[dim]stage {t.stage} ({mark})[/dim]")
            last_stage = t.stage
        name = ("▶ " if t.number == report.current_topic else "") + f"{t.number}. {t.title_en or t.title}"
        mastery = "" if t.mastery is None else f"{round(100 * t.mastery)}%"
        project = "done" if t.project_done else ("open" if t.project else "")
        table.add_row(name, str(t.read), str(t.reading), str(t.queued), str(t.notes), str(t.cards), str(t.due),
                      mastery, project)
    console.print(table)
    console.print(f"cards due now: {report.cards_due}")
