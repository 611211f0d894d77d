"""`paperplan topics …`: classify JSON lines, re-map the KB, confirm or correct a mapping."""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Iterator
from typing import Annotated, Any, TextIO

import typer

from kb.errors import PaperplanError

topics_app = typer.Typer(help="Mapping papers to the plan's topics.", no_args_is_help=True)


class InputError(PaperplanError):
    hint = 'each input line must be a JSON object like {"id": "2103.00020", "title": "…", "abstract": "…"}'


def read_records(stream: TextIO, source: str, errors: list[str]) -> Iterator[dict[str, Any]]:
    """Good records from JSON lines; a bad line is reported in `errors` and skipped, never fatal."""
    for lineno, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            errors.append(f"{source}, line {lineno}: not JSON ({exc.msg})")
            continue
        if not isinstance(record, dict) or not str(record.get("title") or "").strip() or "id" not in record:
            errors.append(f"{source}, line {lineno}: expected an object with \"id\" and a non-empty \"title\"")
            continue
        yield record


@topics_app.command("classify")
def classify(
    file: str = typer.Argument("-", help="JSON lines {id, title, abstract?}; '-' or nothing reads stdin."),
) -> None:
    """Write each paper's 1-3 best plan topics as JSON lines (papers need not be in the KB)."""
    from paperplan.cli import services

    errors: list[str] = []
    if file == "-":
        stream: TextIO = sys.stdin
    else:
        try:
            stream = open(file, encoding="utf-8")  # noqa: SIM115 - closed below
        except OSError as exc:
            raise InputError(f"cannot read {file}: {exc.strerror}", hint="give a JSON-lines file, or - for stdin") from exc
    try:
        mapper = services().topic_mapper
        for result in mapper.classify(read_records(stream, "stdin" if file == "-" else file, errors)):
            typer.echo(json.dumps(result, ensure_ascii=False))
    finally:
        if stream is not sys.stdin:
            stream.close()
    if errors:
        for error in errors:
            typer.echo(f"error: {error}", err=True)
        raise InputError(f"{len(errors)} input line(s) skipped")


@topics_app.command("map")
def map_kb(
    ids: Annotated[list[str] | None, typer.Option("--id", help="Only these papers (repeatable); default: all.")] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")] = False,
) -> None:
    """Re-map papers of the knowledge base to topics (your confirmations are kept)."""
    from paperplan.cli import emit_json, services

    svc = services()
    paper_ids = list(ids) if ids else [r[0] for r in svc.db.query("SELECT id FROM papers ORDER BY id")]
    mapper = svc.topic_mapper
    results: dict[str, Any] = {}
    for start in range(0, len(paper_ids), 64):
        results.update(mapper.map_and_store(paper_ids[start:start + 64]))
        typer.echo(f"mapped {min(start + 64, len(paper_ids))}/{len(paper_ids)} papers", err=True)
    best = Counter(a[0].topic for a in results.values() if a)
    report = {
        "papers": len(results),
        "by_best_topic": {str(t): best[t] for t in sorted(best)},
        "methods": dict(Counter(a.method for v in results.values() for a in v)),
        "papers_topics": {pid: [{"topic": a.topic, "score": a.score, "method": a.method, "reason": a.reason}
                                for a in v] for pid, v in results.items()},
    }
    if json_output:
        emit_json(report)
        return
    typer.echo(f"mapped {report['papers']} papers")
    for topic in sorted(best):
        typer.echo(f"  topic {topic:>2} {svc.plan.topic(topic).title_en or svc.plan.topic(topic).title}: "
                   f"{best[topic]} papers")


@topics_app.command("confirm")
def confirm(paper_id: str, topic: int) -> None:
    """Confirm that a paper belongs to a topic (kept across re-mapping; teaches the mapper)."""
    from paperplan.cli import services

    services().topic_mapper.confirm(paper_id, topic)
    typer.echo(f"{paper_id}: topic {topic} confirmed")


@topics_app.command("correct")
def correct(paper_id: str, wrong_topic: int, right_topic: int) -> None:
    """Say a paper is not WRONG_TOPIC but RIGHT_TOPIC (kept across re-mapping; teaches the mapper)."""
    from paperplan.cli import services

    services().topic_mapper.correct(paper_id, wrong_topic, right_topic)
    typer.echo(f"{paper_id}: topic {wrong_topic} rejected, topic {right_topic} confirmed")
