"""`paperplan note ID` and `paperplan notes search|sync|journal`: the learner's own notes."""

from __future__ import annotations

import os
import shlex
import subprocess
from dataclasses import asdict
from datetime import date

import typer

from kb.errors import PaperplanError

notes_app = typer.Typer(help="Your notes: one Markdown file per paper and topic, and a journal.",
                        no_args_is_help=True)


class EditorError(PaperplanError):
    hint = "set EDITOR (or VISUAL) to your editor, e.g. `export EDITOR=nano`; or open the file shown yourself"


def editor_command() -> list[str]:
    value = os.environ.get("VISUAL") or os.environ.get("EDITOR") or ""
    try:
        command = shlex.split(value)
    except ValueError as exc:
        raise EditorError(f"cannot read the editor command {value!r}: {exc}") from exc
    if not command:
        raise EditorError("no editor is set (EDITOR and VISUAL are empty)")
    return command


def note(
    note_id: str = typer.Argument(..., metavar="ID", help="A paper id (2502.10816), topic-<n> or journal."),
    json_output: bool = typer.Option(False, "--json", help="After editing, print one JSON document on stdout."),
) -> None:
    """Open a note in $EDITOR (created with its front matter first); the edit is indexed for Ask."""
    from paperplan import cli

    svc = cli.services()
    note_file = svc.notes.ensure(note_id)
    command = [*editor_command(), str(note_file.path)]
    try:
        # The editor needs the terminal: stdin/stdout stay the user's.
        returncode = subprocess.call(command)
    except OSError as exc:
        raise EditorError(f"cannot start the editor {command[0]!r}: {exc.strerror}") from exc
    if returncode != 0:
        raise EditorError(f"the editor {command[0]!r} exited with status {returncode}; the note is kept as it is "
                          f"on disk at {note_file.path}", hint="`paperplan notes sync` indexes it later")
    report = svc.notes.sync()
    changed = note_id in report.indexed
    if json_output:
        cli.emit_json({"id": note_id, "path": str(note_file.path), "changed": changed, "sync": asdict(report)})
        return
    typer.echo(f"{note_file.path}: {'saved and indexed' if changed else 'unchanged'}", err=True)


@notes_app.command("search")
def notes_search(
    query: str = typer.Argument(..., help="Words or a question; matched by meaning and by words."),
    k: int = typer.Option(10, "--k", min=1, max=50, help="How many notes to show."),
    json_output: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
) -> None:
    """Find notes by meaning and by the words they contain."""
    from paperplan import cli

    svc = cli.services()
    svc.notes.sync()  # notes edited outside since the last run are found too
    hits = svc.notes.search(query, k)
    if json_output:
        cli.emit_json({"query": query, "hits": [asdict(h) for h in hits]})
        return
    if not hits:
        typer.echo("no note matches", err=True)
    for hit in hits:
        typer.echo(f"{hit.score:.2f}  {hit.note_id}  {hit.title}\n      {' '.join(hit.excerpt.split())[:160]}")


@notes_app.command("sync")
def notes_sync(json_output: bool = typer.Option(False, "--json", help="Print one JSON document on stdout.")) -> None:
    """Index notes edited, added or deleted outside the app; list unresolved conflict files."""
    from paperplan import cli

    report = cli.services().notes.sync()
    if json_output:
        cli.emit_json(asdict(report))
        return
    typer.echo(f"indexed {len(report.indexed)}, unchanged {report.unchanged}, removed {len(report.removed)}")
    for name in report.conflicts:
        typer.echo(f"conflict kept for you to merge: {name}")
    for error in report.errors:
        typer.echo(f"error: {error}", err=True)


@notes_app.command("journal")
def notes_journal(
    text: str = typer.Argument(..., help="The entry: an idea, a question, what you tried."),
    json_output: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
) -> None:
    """Add a dated entry to your research journal (journal.md)."""
    from paperplan import cli

    if not text.strip():
        raise PaperplanError("the journal entry is empty", hint='write something, e.g. paperplan notes journal "idea: …"')
    result = cli.services().notes.append("journal", f"## {date.today().isoformat()}\n\n{text.strip()}")
    if json_output:
        cli.emit_json({"path": str(result.path), "saved": result.saved,
                       "conflict": str(result.conflict) if result.conflict else None})
        return
    typer.echo(f"added to {result.path}", err=True)
