"""recommend and digest: the week's reading picks and the weekly Markdown digest."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import typer


def recommend(
    count: int | None = typer.Option(None, "--count", min=1, max=50,
                                     help="How many papers (default: recommend.per_week)."),
    json_output: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
) -> None:
    """Propose the next papers to read, each with the reason in plain words."""
    from paperplan import cli

    week, picks = cli.services().recommender.recommend(count=count)
    if json_output:
        cli.emit_json({"week": week, "picks": [p.to_json() for p in picks]})
        return
    if not picks:
        typer.echo(f"{week}: nothing unread maps to your plan; fetch new papers with `paperplan ingest --new`")
        return
    typer.echo(f"week {week}")
    for i, p in enumerate(picks, start=1):
        typer.echo(f"\n{i}. {p.title}  [{p.paper_id}]  topic {', '.join(map(str, p.topics))}  score {p.score:.2f}")
        typer.echo(f"   {p.why}")


def digest(week: str | None = typer.Option(None, "--week", help="ISO week YYYY-Www (default: this week).")) -> None:
    """Write the weekly digest (Markdown) into the data dir and print its path."""
    from paperplan import cli

    typer.echo(str(write_digest(cli.services(), week)))


def write_digest(svc: Any, week: str | None = None, now: datetime | None = None) -> Path:
    """Render the week's digest to <data dir>/digests/<week>.md (atomically) and return the path."""
    from agent.digest import arrivals, render_digest
    from agent.frontier import frontier_flags, frontier_section
    from agent.recommend import iso_week, week_dates

    now = now or datetime.now(UTC)
    week = week or iso_week(now.date())
    start, end = week_dates(week)
    rec = svc.recommender
    progress = rec.progress(now)
    picks = rec.picks_for(week, now)
    text = render_digest(week=week, start=start, end=end, plan=svc.plan, progress=progress, picks=picks,
                         new_papers=arrivals(svc.db, start, end),
                         extra=[frontier_section(frontier_flags(svc.kb, start.isoformat()))])
    svc.paths.digests.mkdir(parents=True, exist_ok=True)
    path = svc.paths.digests / f"{week}.md"
    tmp = path.with_suffix(".md.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path
