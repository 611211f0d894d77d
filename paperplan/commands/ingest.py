"""`paperplan ingest` and `paperplan add`: the composition of ingest, topic mapping and full text.

`run_ingest` is what the nightly job calls too: take the ingest lock, fetch metadata, map the
new papers to the plan's topics, then fetch full text only for papers worth it (plan surveys,
papers the learner queued or is reading, papers whose best topic score reaches
`ingest.fulltext_min_score`) so a busy night does not stall.

Module imports stay light (the CLI's --help must not load arxiv, pymupdf or langchain).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Protocol

import typer

from kb.locks import IngestLock
from kb.runs import record_run

if TYPE_CHECKING:
    from ingest.pipeline import AddReport, Ingestor, IngestReport
    from ingest.progress import Progress
    from paperplan.wiring import Services

log = logging.getLogger(__name__)

HOLDER_CLI = "paperplan ingest"


class Mapper(Protocol):
    def map_and_store(self, paper_ids: Sequence[str]) -> dict: ...

    def relevance(self, paper_ids: Sequence[str]) -> dict[str, float]: ...


def fulltext_candidates(svc: Services, touched: Sequence[str], relevance: dict[str, float],
                        sweep: bool = True) -> list[str]:
    """Papers whose full text is worth fetching and not yet in: plan surveys, papers the
    learner queued or is reading, and papers that fit the plan well enough — among this run's
    papers, and with `sweep` (the nightly run) among every paper in the KB still lacking it."""
    min_score = svc.settings.ingest.fulltext_min_score
    rows = svc.db.query(
        "SELECT p.id FROM papers p LEFT JOIN reading r ON r.paper_id = p.id"
        " WHERE p.kind = 'paper' AND p.fulltext IN ('none', 'pending')"
        " AND p.id NOT LIKE 'sha256:%' AND p.id NOT LIKE 'feed:%'"
        " AND (p.plan_resource = 1 OR r.status IN ('queued', 'reading')) ORDER BY p.id")
    this_run = set(touched)
    wanted = [r[0] for r in rows if sweep or r[0] in this_run]
    wanted += [i for i in touched if relevance.get(i, 0.0) >= min_score and i not in wanted]
    return wanted


def run_ingest(svc: Services, *, ids: Sequence[str] = (), query: str | None = None, max_results: int = 50,
               new: bool = False, since: date | None = None, feeds: bool = False, fulltext: bool = True,
               reread: bool = False, progress: Progress | None = None, mapper: Mapper | None = None,
               holder: str = HOLDER_CLI) -> IngestReport:
    """One ingest run under the lock. Sources that fail are listed in the report; the rest go on.
    `reread` reads every PDF an older parser read again; a `new` run does a batch of them."""
    from ingest.pipeline import IngestReport

    svc.paths.create()
    with IngestLock(svc.paths.root, holder) as lock, record_run(svc.db, "ingest") as summary:
        ingestor = svc.ingestor
        if progress is not None:
            ingestor.progress = progress
        report = IngestReport()
        try:
            lock.update("repairing the index")
            ingestor.reconcile()
            if ids:
                lock.update("fetching arXiv metadata by id")
                report.merge(ingestor.ingest_ids(ids, fulltext=False))
            if query:
                lock.update(f"searching arXiv for {query!r}")
                report.merge(ingestor.ingest_query(query, max_results))
            if new:
                lock.update("fetching new arXiv listings")
                report.merge(ingestor.fetch_new(since))
            if feeds:
                lock.update("reading feeds")
                report.merge(ingestor.fetch_feeds())
            touched = report.touched
            relevance: dict[str, float] = {}
            if touched:
                lock.update(f"mapping {len(touched)} papers to the plan's topics")
                relevance = _map_topics(mapper or svc.topic_mapper, touched, report)
            if fulltext:
                explicit = [i for i in dict.fromkeys(_version_less(ids)) if i in set(touched) | set(report.unchanged)]
                # The nightly kind of run (new listings, feeds) also catches up on older papers.
                worth = fulltext_candidates(svc, touched, relevance, sweep=new or feeds)
                candidates = list(dict.fromkeys([*explicit, *worth]))
                if candidates:
                    lock.update(f"fetching full text of {len(candidates)} papers")
                    report.merge(ingestor.fetch_fulltext(candidates))
            if fulltext and (reread or new):
                lock.update("reading stored PDFs again with the current parser")
                report.merge(ingestor.reread(None if reread else ingestor.config.reread_per_run))
        finally:
            _finish(ingestor)
        summary.update(report.to_json())
        summary["notes"] = report.notes
    return report


def _finish(ingestor: Ingestor) -> None:
    from ingest.progress import NullProgress

    ingestor.close()  # the PDF worker and connections go; the ingestor itself stays reusable
    ingestor.progress = NullProgress()


def _version_less(ids: Iterable[str]) -> list[str]:
    from ingest.arxiv_ids import split_id

    return [parsed[0] for raw in ids if (parsed := split_id(raw))]


def _map_topics(mapper: Mapper, paper_ids: list[str], report: IngestReport) -> dict[str, float]:
    from kb.errors import PaperplanError

    try:
        mapper.map_and_store(paper_ids)
        return mapper.relevance(paper_ids)
    except PaperplanError as exc:  # mapping is redone by `paperplan topics map`; ingest goes on
        report.fail("topic mapping", str(exc))
        return {}


def run_add(svc: Services, paths: Sequence[Path], progress: Progress | None = None,
            holder: str = "paperplan add") -> AddReport:
    svc.paths.create()
    with IngestLock(svc.paths.root, holder) as lock, record_run(svc.db, "add") as summary:
        lock.update(f"adding {len(paths)} path(s)")
        ingestor = svc.ingestor
        if progress is not None:
            ingestor.progress = progress
        try:
            report = ingestor.add_pdfs(paths)
            added = [a["id"] for a in report.added]
            if added:
                lock.update("mapping the added papers to the plan's topics")
                try:
                    svc.topic_mapper.map_and_store(added)
                except Exception as exc:  # the papers are in; mapping can be redone later
                    log.warning("topic mapping of added papers failed: %s", exc)
        finally:
            _finish(ingestor)
        summary.update(report.to_json())
    return report


# -- the commands ----------------------------------------------------------------------------

def _services() -> Services:
    from paperplan.wiring import build_services

    return build_services()


def _emit_json(data: Any) -> None:
    import json

    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


def ingest(
    ids: Annotated[list[str] | None, typer.Option(
        "--ids", help="arXiv ids to fetch (repeat, or separate with commas).")] = None,
    query: str = typer.Option(None, "--query", help="An arXiv search query (e.g. 'ti:multimodal AND cat:cs.CV')."),
    max_results: int = typer.Option(50, "--max", help="Most results taken from --query."),
    new: bool = typer.Option(False, "--new", help="What is new in the watched categories since the last run."),
    since: str = typer.Option(None, "--since", help="With --new: start from this day (YYYY-MM-DD)."),
    no_pdf: bool = typer.Option(False, "--no-pdf", help="Metadata only: no PDF download."),
    feeds: bool = typer.Option(False, "--feeds", help="Also read the configured lab blogs and news feeds."),
    reread: bool = typer.Option(False, "--reread", help=(
        "Read the stored PDFs again that an older paperplan parsed (it now reads tables row by row); "
        "the nightly run does a batch of them each night.")),
    json_output: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
) -> None:
    """Fetch papers from arXiv (and feeds) into the knowledge base. Without a source option:
    the nightly run (new listings and feeds)."""
    from kb.errors import PaperplanError

    id_list = [i.strip() for raw in ids or [] for i in raw.split(",") if i.strip()]
    since_day = None
    if since:
        try:
            since_day = date.fromisoformat(since)
        except ValueError as exc:
            raise PaperplanError(f"--since {since!r} is not a date", hint="write it as YYYY-MM-DD") from exc
        new = True
    if not (id_list or query or new or feeds or reread):
        new = feeds = True
    svc = _services()
    with _progress_bars(json_output) as bars:
        report = run_ingest(svc, ids=id_list, query=query, max_results=max_results, new=new, since=since_day,
                            feeds=feeds, fulltext=not no_pdf, reread=reread, progress=bars)
    for note in report.notes:
        typer.echo(note, err=True)
    if json_output:
        _emit_json(report.to_json())
    else:
        _print_report(report.to_json())
    if report.nothing_succeeded:
        raise typer.Exit(1)


def add(
    paths: Annotated[list[Path], typer.Argument(help="PDF files or folders of PDFs.")],
    json_output: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
) -> None:
    """Add local PDFs. An arXiv paper (stamp on page 1, or its id as the file name) is filed
    under its arXiv id; any other PDF gets a content-hash id and the title found in it."""
    svc = _services()
    with _progress_bars(json_output) as bars:
        report = run_add(svc, paths, progress=bars)
    data = report.to_json()
    if json_output:
        _emit_json(data)
    else:
        for item in data["added"]:
            typer.echo(f"added {item['id']}: {item['title']} ({item['pages']} pages, {item['chunks']} passages)")
        for paper_id in data["unchanged"]:
            typer.echo(f"unchanged {paper_id}: already in the knowledge base")
        for item in data["failed"]:
            typer.echo(f"failed {item['path']}: {item['reason']}", err=True)
    if data["failed"] and not (data["added"] or data["unchanged"]):
        raise typer.Exit(1)


def _print_report(data: dict[str, Any]) -> None:
    typer.echo(f"new: {len(data['new'])}  updated: {len(data['updated'])}  unchanged: {data['unchanged']}  "
               f"failed: {len(data['failed'])}" + (f"  re-read: {len(data['reread'])}" if data["reread"] else ""))
    for label in ("new", "updated", "reread"):
        if data[label]:
            typer.echo(f"{label}: {', '.join(data[label])}")
    for item in data["failed"]:
        typer.echo(f"failed {item['id']}: {item['reason']}", err=True)


class _RichProgress:
    """Progress bars on stderr, one per stage (fetch, download, parse, embed)."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self._bars = Progress(TextColumn("{task.description:<9}"), BarColumn(), MofNCompleteColumn(),
                              TimeElapsedColumn(), console=Console(stderr=True), transient=False)
        self._tasks: dict[str, Any] = {}

    def start(self, stage: str, total: int | None = None) -> None:
        if stage in self._tasks:
            self._bars.reset(self._tasks[stage], total=total)
        else:
            self._tasks[stage] = self._bars.add_task(stage, total=total)

    def advance(self, stage: str, n: int = 1) -> None:
        if stage not in self._tasks:
            self.start(stage)
        self._bars.advance(self._tasks[stage], n)

    def note(self, message: str) -> None:
        self._bars.console.print(message)

    def __enter__(self) -> _RichProgress:
        self._bars.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._bars.stop()


class _Quiet:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def _progress_bars(json_output: bool) -> Any:
    import sys

    # Bars only on a terminal: a log file or a pipe gets the closing report alone.
    return _RichProgress() if sys.stderr.isatty() else _Quiet()
