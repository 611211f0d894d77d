"""The idempotent ingest pipeline: arXiv metadata, full text, local PDFs and feeds into the KB.

Promises:
- Re-running is a no-op: metadata goes through `upsert_paper` (new / updated / unchanged),
  chunk ids are deterministic and chunk writes replace by kind.
- A newer arXiv version replaces the old full-text chunks (their ids carry the version).
- A run killed at any point is completed by the next: `kb.reconcile()` runs first, a paper's
  full-text state is 'pending' until its chunks are in, and a missing abstract chunk is
  noticed even when the metadata is unchanged.
- One bad PDF, id or feed entry is a line in the report's `failed`, never the end of the run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from ingest.arxiv_ids import id_from_file_name, safe_file_stem, split_id
from ingest.arxiv_source import ArxivError, ArxivSource
from ingest.chunking import chunk_pdf
from ingest.config import IngestConfig
from ingest.feeds import fetch_feed, parse_feed, read_watermark, watermark_value
from ingest.http import FetchError, PoliteSession, reason_of
from ingest.keywords import KeywordFilter
from ingest.pdf import (
    PARSER_VERSION,
    ParsedPdf,
    PdfError,
    PdfParser,
    atomic_copy,
    check_pdf_file,
    download_pdf,
    file_sha256,
)
from ingest.progress import NullProgress, Progress
from kb import papers
from kb.plan import Plan
from kb.runs import get_watermark, set_watermark
from kb.snapshot import abstract_chunk, paper_from_record, snapshot_records
from kb.store import KnowledgeBase
from kb.types import Chunk, Paper

log = logging.getLogger(__name__)

NEW_LISTINGS_SOURCE = "arxiv:new"
# Listings appear in the API when announced, not when submitted, so each night looks a day
# further back than the last submission it saw; already-known papers come back 'unchanged'.
NEW_LISTINGS_OVERLAP = timedelta(days=1)
FIRST_RUN_LOOKBACK = timedelta(days=3)  # covers a weekend on the very first night
FULLTEXT_KINDS = ("body", "caption", "references")
FLUSH_CHUNKS = 512  # passages queued before they are embedded together (two full batches)


@dataclass
class IngestReport:
    new: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (id or URL, reason)
    notes: list[str] = field(default_factory=list)  # normal events worth a line (no listings today)
    reread: list[str] = field(default_factory=list)  # stored PDFs read again by a newer parser

    def record(self, paper_id: str, outcome: str) -> None:
        getattr(self, outcome).append(paper_id)

    def fail(self, what: str, reason: str) -> None:
        log.warning("%s: %s", what, reason)
        self.failed.append((what, reason))

    def merge(self, other: IngestReport) -> IngestReport:
        for name in ("new", "updated", "unchanged", "reread"):
            mine = getattr(self, name)
            mine.extend(i for i in getattr(other, name) if i not in mine)
        self.failed.extend(other.failed)
        self.notes.extend(other.notes)
        return self

    @property
    def nothing_succeeded(self) -> bool:
        """Every source or item failed (offline, say): the run as a whole failed."""
        return bool(self.failed) and not (self.new or self.updated or self.unchanged or self.reread)

    @property
    def touched(self) -> list[str]:
        return [*self.new, *(i for i in self.updated if i not in self.new)]

    def to_json(self) -> dict[str, Any]:
        return {"new": list(self.new), "updated": [i for i in self.updated if i not in self.new],
                "unchanged": len([i for i in self.unchanged if i not in self.new and i not in self.updated]),
                "reread": list(self.reread), "failed": [{"id": i, "reason": r} for i, r in self.failed]}


@dataclass
class AddReport:
    added: list[dict[str, Any]] = field(default_factory=list)  # {"id", "title", "pages", "chunks"}
    unchanged: list[str] = field(default_factory=list)
    failed: list[dict[str, str]] = field(default_factory=list)  # {"path", "reason"}

    def to_json(self) -> dict[str, Any]:
        return {"added": list(self.added), "unchanged": list(self.unchanged), "failed": list(self.failed)}


@dataclass
class _LocalPdf:
    path: Path
    parsed: ParsedPdf
    paper_id: str
    version: int | None
    arxiv: bool


class Ingestor:
    def __init__(self, kb: KnowledgeBase, plan: Plan, config: IngestConfig, pdf_dir: Path,
                 progress: Progress | None = None, session: PoliteSession | None = None) -> None:
        self.kb = kb
        self.plan = plan
        self.config = config
        self.pdf_dir = Path(pdf_dir)
        self.progress: Progress = progress or NullProgress()
        self.session = session or PoliteSession(config.timeout_s, config.request_interval_s)
        self.arxiv = ArxivSource(config.arxiv_api_url, self.session, config.page_size, config.max_retries)
        self._parser: PdfParser | None = None
        self._pending: list[tuple[Paper, list[Chunk], Callable[[], None] | None]] = []
        self._reconciled = False
        self._plan_ids = {r.arxiv_id for r in plan.all_papers if r.arxiv_id}

    # -- lifecycle ----------------------------------------------------------------------

    def close(self) -> None:
        """End of a run: stop the PDF worker, drop connections. The ingestor stays usable and
        the next run starts with a reconcile again."""
        if self._parser is not None:
            self._parser.close()
            self._parser = None
        self.session.close()
        self._reconciled = False

    def __enter__(self) -> Ingestor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def parser(self) -> PdfParser:
        if self._parser is None:
            self._parser = PdfParser(self.config.pdf_timeout_s)
        return self._parser

    def reconcile(self) -> None:
        """Once per run, first: finish what a killed run left between SQLite and the vectors."""
        if not self._reconciled:
            for part in self.pdf_dir.glob(".*.part"):  # half-written downloads of a killed run
                part.unlink(missing_ok=True)
            fixed = self.kb.reconcile()
            if fixed.embedded or fixed.removed:
                self.progress.note(f"repaired the vector index after an interrupted run: "
                                   f"{fixed.embedded} passages embedded, {fixed.removed} stray removed")
            self._reconciled = True

    # -- metadata -----------------------------------------------------------------------

    def _store(self, found: Sequence[Paper], report: IngestReport) -> None:
        """Upsert metadata and (re)index each title+abstract chunk that is new or missing."""
        to_index: dict[str, list[Chunk]] = {}
        for paper in found:
            paper.plan_resource = paper.plan_resource or paper.id in self._plan_ids
            before = papers.get_paper(self.kb.db, paper.id)
            if before is not None:  # the full-text state belongs to the full-text stage, not to metadata
                paper.fulltext, paper.fulltext_error = before.fulltext, before.fulltext_error
                paper.pdf_path = paper.pdf_path or before.pdf_path
            outcome = papers.upsert_paper(self.kb.db, paper)
            report.record(paper.id, outcome)
            if (outcome == "updated" and before is not None and before.fulltext == "indexed"
                    and paper.version and (before.version or 0) < paper.version):
                # A newer version: its full text is fetched again and replaces the old chunks.
                papers.set_fulltext_state(self.kb.db, paper.id, "pending")
            if outcome != "unchanged" or not self._has_chunks(paper.id, ("abstract",)):
                stored = papers.get_paper(self.kb.db, paper.id)
                assert stored is not None
                to_index[paper.id] = [abstract_chunk(stored)]
        if to_index:
            self._index(to_index)

    def _index(self, chunks_by_paper: dict[str, list[Chunk]]) -> None:
        """Index with the embed stage's progress advanced batch by batch."""
        total = sum(len(c) for c in chunks_by_paper.values())
        self.progress.start("embed", total)
        shown = [0]

        def advance(done: int, _total: int) -> None:
            self.progress.advance("embed", done - shown[0])
            shown[0] = done

        self.kb.index_many(chunks_by_paper, progress=advance)

    def _has_chunks(self, paper_id: str, kinds: Sequence[str]) -> bool:
        marks = ",".join("?" * len(kinds))
        return bool(self.kb.db.scalar(f"SELECT 1 FROM chunks WHERE paper_id = ? AND kind IN ({marks}) LIMIT 1",
                                      (paper_id, *kinds)))

    def ingest_ids(self, ids: Iterable[str], fulltext: bool = True) -> IngestReport:
        """Metadata (and, unless told not to, full text) of these arXiv ids; the latest version."""
        self.reconcile()
        report = IngestReport()
        wanted: list[str] = []
        for raw in ids:
            parsed = split_id(raw)
            if parsed is None:
                report.fail(raw, "not an arXiv id (expected e.g. 2501.10120 or hep-th/9901001)")
            elif parsed[0] not in wanted:
                wanted.append(parsed[0])
        if not wanted:
            return report
        self.progress.start("fetch", len(wanted))
        try:
            found = self.arxiv.fetch_ids(wanted)
        except ArxivError as exc:
            for paper_id in wanted:
                report.fail(paper_id, str(exc))
            return report
        self.progress.advance("fetch", len(found))
        known = {p.id for p in found}
        for paper_id in wanted:
            if paper_id not in known:
                report.fail(paper_id, f"arXiv has no paper {paper_id}")
        self._store(found, report)
        if fulltext and known:
            report.merge(self.fetch_fulltext([i for i in wanted if i in known]))
        return report

    def ingest_query(self, query: str, max_results: int) -> IngestReport:
        """Metadata of the papers an arXiv search returns (full text is the caller's choice)."""
        self.reconcile()
        report = IngestReport()
        self.progress.start("fetch", max_results)
        found: list[Paper] = []
        try:
            for paper in self.arxiv.search(query, max_results):
                found.append(paper)
                self.progress.advance("fetch")
        except ArxivError as exc:
            report.fail(f"query {query!r}", str(exc))
        if not found and not report.failed:
            report.notes.append(f"arXiv found nothing for {query!r}")
        self._store(found, report)
        return report

    def fetch_new(self, since: date | None = None) -> IngestReport:
        """What is new in the watched categories since the watermark (or `since`), narrowed by
        the plan's keywords and the learner's filters. Metadata only."""
        self.reconcile()
        report = IngestReport()
        mark = get_watermark(self.kb.db, NEW_LISTINGS_SOURCE)
        if since is not None:
            start = datetime.combine(since, time.min, UTC)
        elif mark:
            start = datetime.fromisoformat(mark) - NEW_LISTINGS_OVERLAP
        else:
            start = datetime.now(UTC) - FIRST_RUN_LOOKBACK
        keywords = KeywordFilter.for_plan(self.plan, self.config.keywords_include, self.config.keywords_exclude)
        scanned, fresh, latest = 0, 0, None
        previous = datetime.fromisoformat(mark) if mark else None
        matched: list[Paper] = []
        self.progress.start("fetch", None)
        try:
            for listing in self.arxiv.new_listings(self.config.categories, start):
                scanned += 1
                fresh += previous is None or listing.submitted > previous
                latest = listing.submitted
                self.progress.advance("fetch")
                if keywords.matches(listing.paper):
                    matched.append(listing.paper)
                    if len(matched) >= self.config.max_new_per_run:
                        report.notes.append(f"stopped at ingest.max_new_per_run = {self.config.max_new_per_run} "
                                            f"matching papers; the next run continues from there")
                        break
        except ArxivError as exc:
            report.fail(NEW_LISTINGS_SOURCE, str(exc))
        self._store(matched, report)
        if latest is not None:
            # Only what was scanned (oldest first) is behind the watermark: a failed or capped
            # run is caught up by the next.
            newest = max(latest, previous) if previous else latest
            set_watermark(self.kb.db, NEW_LISTINGS_SOURCE, newest.isoformat())
        if fresh == 0 and not report.failed:
            # The overlap re-reads known papers; none past the watermark means none announced.
            report.notes.append(f"no new arXiv listings since {previous or start:%Y-%m-%d %H:%M} UTC "
                                f"(normal on weekends and holidays)")
        else:
            report.notes.append(f"scanned {scanned} arXiv listings ({fresh} new); {len(matched)} match the plan")
        return report

    # -- full text ----------------------------------------------------------------------

    def _fulltext_version(self, paper_id: str) -> int | None:
        """The version the indexed full text came from (0 when unknown), None when not indexed."""
        value = self.kb.db.scalar(
            "SELECT MAX(COALESCE(version, 0)) FROM chunks WHERE paper_id = ? AND kind IN ('body', 'caption', "
            "'references')", (paper_id,))
        return None if value is None else int(str(value))

    def fetch_fulltext(self, paper_ids: Iterable[str]) -> IngestReport:
        """Download, parse, chunk and index the PDFs of these papers (already in the KB)."""
        self.reconcile()
        report = IngestReport()
        todo: list[Paper] = []
        for paper_id in dict.fromkeys(paper_ids):
            paper = papers.get_paper(self.kb.db, paper_id)
            if paper is None:
                report.fail(paper_id, "not in the knowledge base: ingest its metadata first")
            elif paper.kind != "paper" or paper.id.startswith(("sha256:", "feed:")):
                continue  # blog posts and local-only PDFs have no arXiv PDF to fetch
            elif self._fulltext_current(paper):
                report.unchanged.append(paper.id)
            else:
                todo.append(paper)
        if not todo:
            return report
        self.progress.start("download", len(todo))
        self.progress.start("parse", len(todo))
        self.parser.warm()
        for paper in todo:
            self._fulltext_one(paper, report)
        self._flush()
        return report

    def _fulltext_current(self, paper: Paper) -> bool:
        indexed = self._fulltext_version(paper.id)
        return paper.fulltext == "indexed" and indexed is not None and (paper.version or 0) <= indexed

    def _fulltext_one(self, paper: Paper, report: IngestReport) -> None:
        was_indexed = self._fulltext_version(paper.id) is not None
        papers.set_fulltext_state(self.kb.db, paper.id, "pending")
        dest = self.pdf_dir / f"{safe_file_stem(paper.id, paper.version)}.pdf"
        url = self.config.arxiv_pdf_url.rstrip("/") + "/" + paper.id + (f"v{paper.version}" if paper.version else "")
        try:
            if not _usable(dest, self.config.pdf_max_bytes):  # a file left by a killed run is reused
                download_pdf(self.session, url, dest, max_bytes=self.config.pdf_max_bytes,
                             allowed_hosts=self.config.allowed_pdf_hosts, retries=self.config.max_retries)
        except FetchError as exc:  # the network: stays pending, the next run tries again
            papers.set_fulltext_state(self.kb.db, paper.id, "pending", str(exc))
            report.fail(paper.id, str(exc))
            self.progress.advance("download")
            self.progress.advance("parse")
            return
        except PdfError as exc:
            papers.set_fulltext_state(self.kb.db, paper.id, "failed", str(exc))
            report.fail(paper.id, str(exc))
            self.progress.advance("download")
            self.progress.advance("parse")
            return
        self.progress.advance("download")
        try:
            parsed = self.parser.parse(dest)
            for warning in parsed.warnings:  # e.g. one unreadable page, skipped
                log.warning("%s", warning)
                self.progress.note(warning)
        except PdfError as exc:
            dest.unlink(missing_ok=True)  # a broken download is fetched again next time
            papers.set_fulltext_state(self.kb.db, paper.id, "failed", str(exc))
            report.fail(paper.id, str(exc))
            self.progress.advance("parse")
            return
        self.progress.advance("parse")
        outcome = "updated" if was_indexed else "new"
        self._queue_fulltext(paper, parsed, paper.version or parsed.version, dest,
                             done=lambda: report.record(paper.id, outcome))

    def _queue_fulltext(self, paper: Paper, parsed: ParsedPdf, version: int | None, pdf_path: Path,
                        extra: Sequence[Chunk] = (), done: Callable[[], None] | None = None) -> int:
        """Chunk a parsed PDF and queue it for indexing; `done` runs once it is in the KB."""
        chunks = [*extra, *chunk_pdf(paper.id, version, parsed)]
        stale = [k for k in FULLTEXT_KINDS if k not in {c.kind for c in chunks}]
        if stale:  # a kind the new version lacks must not keep the old version's chunks
            self.kb.delete_paper_chunks(paper.id, stale)
        if version and not paper.version:
            paper.version = version
        paper.pdf_path = str(pdf_path)
        self._pending.append((paper, chunks, done))
        if sum(len(c) for _, c, _ in self._pending) >= FLUSH_CHUNKS:
            self._flush()
        return len(chunks)

    def _flush(self) -> None:
        """Index the queued papers together: full embedding batches across papers are faster
        than one paper at a time. Until then their state is 'pending', so a killed run redoes them."""
        if not self._pending:
            return
        pending, self._pending = self._pending, []
        self._index({paper.id: chunks for paper, chunks, _ in pending})
        for paper, _, done in pending:
            papers.upsert_paper(self.kb.db, paper)
            papers.set_fulltext_state(self.kb.db, paper.id, "indexed")
            papers.set_parsed_with(self.kb.db, paper.id, PARSER_VERSION)
            if done is not None:
                done()

    def reread(self, limit: int | None = None) -> IngestReport:
        """Parse the stored PDFs of papers an older parser read (`PARSER_VERSION`) and replace
        their full-text chunks, so an upgrade that reads tables better reaches the existing
        knowledge base too. A file that is gone or no longer parses keeps its old chunks."""
        report = IngestReport()
        stale = papers.parsed_before(self.kb.db, PARSER_VERSION)
        if not stale:
            return report
        todo = stale[:limit] if limit is not None else stale
        if len(todo) < len(stale):
            report.notes.append(f"re-read {len(todo)} of {len(stale)} papers read by an older PDF parser; "
                                f"the next run goes on (or `paperplan ingest --reread` does the rest now)")
        self.reconcile()
        self.progress.start("parse", len(todo))
        for paper_id in todo:
            paper = papers.get_paper(self.kb.db, paper_id)
            path = Path(paper.pdf_path) if paper is not None else None
            if paper is None or path is None or not path.is_file():
                report.notes.append(f"{paper_id}: its stored PDF {path} is gone, so its passages stay as they were; "
                                    f"`paperplan ingest --ids {paper_id}` fetches it again")
                if paper is not None:  # not asked again every night
                    papers.set_parsed_with(self.kb.db, paper_id, PARSER_VERSION)
                self.progress.advance("parse")
                continue
            try:
                parsed = self.parser.parse(path)
            except PdfError as exc:
                report.fail(paper_id, f"{exc} (its passages stay as they were)")
                papers.set_parsed_with(self.kb.db, paper_id, PARSER_VERSION)
                self.progress.advance("parse")
                continue
            self.progress.advance("parse")
            version = self._fulltext_version(paper_id) or paper.version
            self._queue_fulltext(paper, parsed, version, path, done=partial(report.reread.append, paper_id))
        self._flush()
        return report

    # -- local PDFs -------------------------------------------------------------------------

    def add_pdfs(self, paths: Iterable[Path | str]) -> AddReport:
        """Local PDFs (files or folders) into the KB; arXiv papers are filed under their id."""
        self.reconcile()
        report = AddReport()
        files = _expand(paths, report)
        if files:
            self.parser.warm()
        self.progress.start("parse", len(files))
        local: list[_LocalPdf] = []
        for path in files:
            item = self._read_local(path, report)
            self.progress.advance("parse")
            if item is not None:
                local.append(item)
        metadata = self._metadata_for([i.paper_id for i in local if i.arxiv])
        for item in local:
            try:
                self._add_one(item, metadata.get(item.paper_id), report)
            except PdfError as exc:
                report.failed.append({"path": str(item.path), "reason": str(exc)})
        self._flush()
        return report

    def _read_local(self, path: Path, report: AddReport) -> _LocalPdf | None:
        try:
            check_pdf_file(path, self.config.pdf_max_bytes)
            sha_id = "sha256:" + file_sha256(path)[:16]
            known = papers.get_paper(self.kb.db, sha_id)
            if known is not None and known.fulltext == "indexed":
                report.unchanged.append(sha_id)  # the very same file: no need to parse it again
                return None
            parsed = self.parser.parse(path)
            for warning in parsed.warnings:
                log.warning("%s", warning)
                self.progress.note(warning)
        except PdfError as exc:
            report.failed.append({"path": str(path), "reason": str(exc)})
            return None
        arxiv = (parsed.arxiv_id, parsed.version) if parsed.arxiv_id else id_from_file_name(path.stem)
        if arxiv and arxiv[0]:
            paper_id, version = arxiv[0], arxiv[1]
            stored = papers.get_paper(self.kb.db, paper_id)
            indexed = self._fulltext_version(paper_id)
            if stored is not None and stored.fulltext == "indexed" and indexed is not None \
                    and (version is None or version <= indexed):
                report.unchanged.append(paper_id)
                return None
            return _LocalPdf(path, parsed, paper_id, version, True)
        return _LocalPdf(path, parsed, sha_id, None, False)

    def _metadata_for(self, arxiv_ids: list[str]) -> dict[str, Paper]:
        """From arXiv when online, else from the bundled snapshot where it knows the id."""
        if not arxiv_ids:
            return {}
        found: dict[str, Paper] = {}
        try:
            self.progress.start("fetch", len(arxiv_ids))
            found = {p.id: p for p in self.arxiv.fetch_ids(arxiv_ids)}
            self.progress.advance("fetch", len(found))
        except ArxivError as exc:
            self.progress.note(f"arXiv metadata unavailable ({exc}); using the offline snapshot where it can")
        records = snapshot_records()
        for paper_id in arxiv_ids:
            if paper_id not in found and paper_id in records:
                found[paper_id] = paper_from_record(records[paper_id], plan_resource=paper_id in self._plan_ids)
        return found

    def _add_one(self, item: _LocalPdf, meta: Paper | None, report: AddReport) -> None:
        parsed = item.parsed
        if meta is None:
            meta = Paper(id=item.paper_id, title=parsed.title, source="local", abstract=parsed.abstract,
                         url=f"https://arxiv.org/abs/{item.paper_id}" if item.arxiv else "")
        meta.plan_resource = meta.plan_resource or item.paper_id in self._plan_ids
        version = item.version or meta.version
        if item.version and meta.version and item.version != meta.version:
            meta.version = item.version  # the chunks come from this file's version
        dest = self.pdf_dir / f"{safe_file_stem(item.paper_id, version)}.pdf"
        if item.path.resolve() != dest.resolve():
            atomic_copy(item.path, dest)
        papers.upsert_paper(self.kb.db, meta)
        papers.set_fulltext_state(self.kb.db, item.paper_id, "pending")
        stored = papers.get_paper(self.kb.db, item.paper_id)
        assert stored is not None
        extra = [abstract_chunk(stored)]
        entry = {"id": item.paper_id, "title": stored.title, "pages": parsed.pages, "chunks": 0}
        entry["chunks"] = self._queue_fulltext(stored, parsed, version, dest, extra=extra,
                                               done=lambda: report.added.append(entry))

    # -- feeds ------------------------------------------------------------------------------

    def fetch_feeds(self) -> IngestReport:
        """Every configured RSS/Atom feed; a feed that fails is reported and the rest go on."""
        self.reconcile()
        report = IngestReport()
        self.progress.start("fetch", len(self.config.feeds))
        for url in self.config.feeds:
            source = f"feed:{url}"
            try:
                etag, modified = read_watermark(get_watermark(self.kb.db, source))
                fetched = fetch_feed(self.session, url, self.config.max_retries, etag, modified)
            except FetchError as exc:
                report.fail(url, str(exc))
                self.progress.advance("fetch")
                continue
            except Exception as exc:  # a feed must never end the run
                report.fail(url, reason_of(exc))
                self.progress.advance("fetch")
                continue
            self.progress.advance("fetch")
            if fetched.content is None:
                report.notes.append(f"{url}: not changed since the last run")
                continue
            parsed = parse_feed(fetched.content, url)
            if parsed.malformed:
                report.fail(url, f"not a readable RSS/Atom feed: {parsed.malformed}")
                continue
            for reason in parsed.skipped:
                report.fail(url, reason)
            self._store(parsed.items, report)
            set_watermark(self.kb.db, source, watermark_value(fetched))
        return report


def _usable(path: Path, max_bytes: int) -> bool:
    try:
        check_pdf_file(path, max_bytes)
        return True
    except PdfError:
        return False


def _expand(paths: Iterable[Path | str], report: AddReport) -> list[Path]:
    files: list[Path] = []
    for raw in paths:
        path = Path(raw).expanduser()
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() == ".pdf")
            if not found:
                report.failed.append({"path": str(path), "reason": f"the folder {path} holds no PDF files"})
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            report.failed.append({"path": str(path), "reason": f"{path} does not exist"})
    return list(dict.fromkeys(files))
