"""`paperplan export bibtex|vault|progress`: references, the notes vault and a progress report.

Registered in the `export` group (paperplan/commands/export.py) by cli.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer


def _write_text(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


def _selection(read: bool, noted: bool, topic: int | None, stage: int | None, week: str | None,
               ids: list[str] | None) -> Any:
    from kb.exports import Selection

    return Selection(read=read, noted=noted, topic=topic, stage=stage, week=week,
                     ids=[i.strip() for part in ids or [] for i in part.split(",") if i.strip()])


def export_bibtex(
    file: str | None = typer.Argument(None, help="The .bib file to write; without it the BibTeX goes to stdout."),
    read: bool = typer.Option(False, "--read", help="Only papers you have read."),
    noted: bool = typer.Option(False, "--noted", help="Only papers you wrote a note on."),
    topic: int | None = typer.Option(None, "--topic", help="Only papers of this plan topic."),
    stage: int | None = typer.Option(None, "--stage", help="Only papers of this plan stage."),
    week: str | None = typer.Option(None, "--week", help="Only a week's picks: 2026-W07, or 'latest'."),
    ids: list[str] | None = typer.Option(None, "--ids", help="Only these paper ids (comma-separated or repeated)."),
    json_output: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
) -> None:
    """BibTeX for a selection of papers (filters combine; none means every paper)."""
    from kb.bibtex import bibliography, render_bibliography
    from kb.exports import select_papers
    from paperplan import cli
    from paperplan.commands.export import write_atomically

    svc = cli.services()
    selection = _selection(read, noted, topic, stage, week, ids)
    entries = bibliography(select_papers(svc.db, selection, svc.plan))
    text = render_bibliography(entries)
    if file:
        write_atomically(Path(file), lambda tmp: _write_text(tmp, text))
    if json_output:
        cli.emit_json({"file": file, "selection": selection.describe(), "entries": len(entries),
                       "keys": {e.paper_id: e.key for e in entries}, **({} if file else {"bibtex": text})})
    elif file:
        typer.echo(f"wrote {len(entries)} entries ({selection.describe()}) to {file}")
    else:
        typer.echo(text, nl=False)
    if not entries:
        typer.echo(f"no paper matches ({selection.describe()})", err=True)


def export_vault(
    folder: str | None = typer.Argument(None, help="The folder to write; default: exports/vault in the data dir."),
    every_paper: bool = typer.Option(False, "--all", help="Every paper in the KB, not only the ones you study."),
    json_output: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
) -> None:
    """Your notes as an Obsidian-ready folder: a page per paper, topic and stage, wiki-linked."""
    from dataclasses import asdict

    from kb import papers
    from kb.exports import export_vault as write_vault
    from paperplan import cli

    svc = cli.services()
    target = Path(folder).expanduser() if folder else svc.paths.root / "exports" / "vault"
    svc.notes.sync()  # pick up notes edited outside the app first
    selected = papers.list_papers(svc.db) if every_paper else None
    report = write_vault(svc.notes, svc.plan, target, selected)
    if json_output:
        cli.emit_json(asdict(report))
        return
    typer.echo(f"wrote {report.papers} paper pages ({report.notes} with your notes), {report.topics} topic pages "
               f"and {report.stages} stage pages to {report.folder}")


def export_progress(
    file: str | None = typer.Argument(None, help="The .md file to write; without it the report goes to stdout."),
    json_output: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
) -> None:
    """A progress report in Markdown: position, pace, every topic, milestones, papers read."""
    from kb.exports import progress_markdown
    from paperplan import cli
    from paperplan.commands.export import write_atomically

    svc = cli.services()
    progress = svc.recommender.progress()
    text = progress_markdown(svc.db, svc.plan, progress)
    if file:
        write_atomically(Path(file), lambda tmp: _write_text(tmp, text))
    if json_output:
        cli.emit_json({"file": file, "markdown": text, "progress": progress.to_dict()})
    elif file:
        typer.echo(f"wrote the progress report to {file}")
    else:
        typer.echo(text, nl=False)
