"""The `paperplan` command line.

Imports here stay light (typer, rich): `paperplan --help` must not load torch, chromadb or
an LLM runtime. Commands import what they need when they run.

Conventions: every command that reports takes `--json` and then prints exactly one JSON
document on stdout; progress and logs go to stderr. A PaperplanError becomes one line on
stderr with a hint and exit code 1; usage errors exit 2.
"""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

import typer
from typer._click.core import Context as ClickContext
from typer.core import TyperGroup

from kb.errors import PaperplanError


class PaperplanGroup(TyperGroup):
    """Turns our errors into one clear line instead of a traceback, for every subcommand."""

    def invoke(self, ctx: ClickContext) -> Any:
        try:
            return super().invoke(ctx)
        except PaperplanError as exc:
            typer.echo(f"error: {exc}", err=True)
            if exc.hint:
                typer.echo(f"hint: {exc.hint}", err=True)
            ctx.exit(1)
        except KeyboardInterrupt:
            typer.echo("interrupted", err=True)
            ctx.exit(130)


app = typer.Typer(
    cls=PaperplanGroup, no_args_is_help=False, add_completion=False, rich_markup_mode=None,
    help="paperplan: work through a research study plan with a local knowledge base of papers.",
)
plan_app = typer.Typer(cls=PaperplanGroup, help="The study plan.", no_args_is_help=True)
app.add_typer(plan_app, name="plan")

JsonOption = typer.Option(False, "--json", help="Print one JSON document on stdout.")


def emit_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


def setup_logging(verbose: bool = False) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO, stream=sys.stderr,
        format="%(levelname)s %(name)s: %(message)s",
    )
    for noisy in ("httpx", "chromadb", "sentence_transformers", "urllib3", "arxiv"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def services():  # type: ignore[no-untyped-def]
    from paperplan.wiring import build_services

    return build_services()


@app.callback(invoke_without_command=True)
def main_callback(
    ctx: typer.Context,
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log debug detail to stderr."),
) -> None:
    """Without a command, open the app."""
    setup_logging(verbose)
    if ctx.invoked_subcommand is None:
        ctx.invoke(tui)


@app.command()
def tui() -> None:
    """Open the app: dashboard, library, papers and notes, ask, quiz, picks, jobs."""
    from paperplan.commands.tui import run_tui

    run_tui(services())


@app.command()
def init(json_output: bool = JsonOption) -> None:
    """Create the data directory, load the plan and seed the knowledge base offline."""
    from paperplan.commands.setup import run_init

    report = run_init(services())
    if json_output:
        emit_json(report)
        return
    seeded = report["seeded"]
    typer.echo(f"data dir: {report['data_dir']}")
    typer.echo(f"plan: {report['plan']['stages']} stages, {report['plan']['topics']} topics, "
               f"{report['plan']['surveys']} resolved surveys")
    typer.echo(f"plan papers: {len(seeded['new'])} new, {len(seeded['updated'])} updated, "
               f"{len(seeded['unchanged'])} unchanged, {len(seeded['missing'])} without a snapshot record")
    if report["reconciled"]["embedded"] or report["reconciled"]["removed"]:
        typer.echo(f"repaired the vector index: {report['reconciled']}")


@app.command()
def status(json_output: bool = JsonOption) -> None:
    """Counts, backends and where the data lives."""
    from paperplan.commands.setup import collect_status

    report = collect_status(services())
    if json_output:
        emit_json(report)
        return
    from paperplan.commands.setup import render_status

    render_status(report)


@plan_app.command("show")
def plan_show(json_output: bool = JsonOption) -> None:
    """Print the plan: stages, topics, resources and practice projects."""
    from paperplan.commands.setup import plan_tree, render_plan

    svc = services()
    if json_output:
        emit_json(plan_tree(svc.plan))
        return
    render_plan(svc.plan)


from paperplan.commands.ask import ask  # noqa: E402 - registered after `app` exists

app.command()(ask)

from paperplan.commands import progress as progress_commands  # noqa: E402
from paperplan.commands import recommend as recommend_commands  # noqa: E402

for _command in (progress_commands.progress, progress_commands.read, progress_commands.queue,
                 progress_commands.rate, recommend_commands.recommend, recommend_commands.digest):
    app.command()(_command)
app.add_typer(progress_commands.project_app, name="project")

from paperplan.commands import service as service_commands  # noqa: E402

app.command()(service_commands.serve)
app.add_typer(service_commands.jobs_app, name="jobs")


from paperplan.commands.llm import llm_app  # noqa: E402
from paperplan.commands.topics import topics_app  # noqa: E402

app.add_typer(llm_app, name="llm")
app.add_typer(topics_app, name="topics")

from paperplan.commands.notes import note, notes_app  # noqa: E402

app.command()(note)
app.add_typer(notes_app, name="notes")

from paperplan.commands.draft import draft_app  # noqa: E402

app.add_typer(draft_app, name="draft")

from paperplan.commands.ingest import add, ingest  # noqa: E402

app.command()(ingest)
app.command()(add)

from paperplan.commands.export import export_app  # noqa: E402
from paperplan.commands.quiz import quiz_app  # noqa: E402

app.add_typer(quiz_app, name="quiz")
app.add_typer(export_app, name="export")

from paperplan.commands import export_notes  # noqa: E402

export_app.command("bibtex")(export_notes.export_bibtex)
export_app.command("vault")(export_notes.export_vault)
export_app.command("progress")(export_notes.export_progress)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
