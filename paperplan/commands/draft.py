"""`paperplan draft related-work`: a cited related-work section from your own reading."""

from __future__ import annotations

from pathlib import Path

import typer

from kb.errors import PaperplanError

draft_app = typer.Typer(help="Drafts written from your read papers and notes, every claim cited.",
                        no_args_is_help=True)


class DraftUsageError(PaperplanError):
    hint = 'give exactly one of --topic N (see `paperplan plan show`) or --idea "your research idea"'


@draft_app.command("related-work")
def related_work(
    topic: int | None = typer.Option(None, "--topic", help="A plan topic number."),
    idea: str | None = typer.Option(None, "--idea", help="Your research idea, in a sentence or two."),
    k: int = typer.Option(6, "--k", min=2, max=12, help="Passages the draft may cite."),
    style: str = typer.Option("cite", "--style", help=r"cite: \cite{key} for LaTeX; numeric: [n]."),
    output: str | None = typer.Option(None, "--output", "-o", help="Also write the Markdown to this file."),
    json_output: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
) -> None:
    """Draft a related-work section for a topic or an idea, with the BibTeX of what it cites."""
    from paperplan import cli

    if (topic is None) == (idea is None or not idea.strip()):
        raise DraftUsageError("choose what to draft for: one of --topic or --idea")
    if style not in ("cite", "numeric"):
        raise DraftUsageError(f"unknown --style {style!r}", hint="use --style cite or --style numeric")
    svc = cli.services()
    if topic is not None:
        from agent.draft import topic_query

        found = [t for t in svc.plan.topics if t.number == topic]
        if not found:
            raise DraftUsageError(f"the plan has no topic {topic}")
        subject, query = found[0].title_en or found[0].title, topic_query(found[0])
    else:
        assert idea is not None
        subject = query = " ".join(idea.split())
    typer.echo(f"drafting from your read papers and notes with {svc.settings.llm.provider} …", err=True)
    draft = svc.drafter.draft(subject, query, topic=topic, k=k)
    markdown = draft.markdown(style)
    if output is not None:
        try:
            Path(output).expanduser().write_text(markdown, encoding="utf-8")
        except OSError as exc:
            raise PaperplanError(f"cannot write {output}: {exc.strerror}", hint="choose a writable path") from exc
    if json_output:
        cli.emit_json({**draft.to_json(), "markdown": markdown, "output": output})
        return
    typer.echo(markdown)
    if draft.dropped:
        typer.echo(f"{len(draft.dropped)} citation(s) or claim(s) dropped because no passage supported them",
                   err=True)
