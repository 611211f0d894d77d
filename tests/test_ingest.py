"""The ingest pipeline against a local server (recorded arXiv answers, generated PDFs): ids
with full text, re-runs as no-ops, a newer version replacing chunks, what-is-new with
watermarks and weekends, keyword narrowing, offline sources, local PDFs, the lock, the
composition with topic mapping, and the CLI."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ingest.config import IngestConfig
from ingest.pipeline import NEW_LISTINGS_SOURCE, Ingestor
from kb import papers
from kb.locks import IngestLock, LockHeld, read_holder
from kb.runs import get_watermark, set_watermark
from kb.snapshot import snapshot_records
from paperplan.cli import app
from paperplan.commands import ingest as ingest_commands
from paperplan.commands.ingest import run_ingest
from paperplan.settings import IngestSettings, Settings
from paperplan.wiring import Services, build_services
from tests.conftest import REPO, free_port, shared_pdf
from tests.ingest_helpers import LocalServer, Reply, empty_feed, make_corrupt_pdf, make_paper_pdf

HEAT_BATH = "1605.08386"
AEW10 = "1707.08567"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LocalServer]:
    s = LocalServer()
    s.pdfs[f"{HEAT_BATH}v1"] = make_paper_pdf(tmp_path / "hb.pdf", title="Heat Bath Random Walks",
                                              marker="markovbasis").read_bytes()
    s.pdfs[f"{AEW10}v1"] = make_paper_pdf(tmp_path / "aew.pdf", title="Concepts in Information Theory",
                                          stamp=None).read_bytes()
    yield s
    s.close()


def config_for(server: LocalServer, **overrides: object) -> IngestConfig:
    values: dict[str, object] = dict(
        arxiv_api_url=f"{server.url}/api/query", arxiv_pdf_url=f"{server.url}/pdf/", request_interval_s=0.0,
        timeout_s=5.0, max_retries=1, page_size=10, allowed_pdf_hosts=["127.0.0.1"], feeds=[],
    )
    values.update(overrides)
    return IngestConfig(**values)  # type: ignore[arg-type]


def ingestor(services: Services, server: LocalServer, **overrides: object) -> Ingestor:
    return Ingestor(services.kb, services.plan, config_for(server, **overrides), services.paths.pdfs)


def consistent(services: Services) -> None:
    """SQLite and the vectors hold the same chunk ids, and no paper has chunks of two versions."""
    in_db = {r[0] for r in services.db.query("SELECT id FROM chunks")}
    assert services.kb.vectors.all_ids() == in_db
    mixed = services.db.query(
        "SELECT paper_id FROM chunks WHERE kind IN ('body', 'caption', 'references')"
        " GROUP BY paper_id HAVING COUNT(DISTINCT version) > 1")
    assert mixed == []
    doubles = services.db.query(
        "SELECT paper_id FROM chunks WHERE kind = 'abstract' GROUP BY paper_id HAVING COUNT(*) > 1")
    assert doubles == []


def pdf_requests(server: LocalServer) -> list[str]:
    return [r for r in server.requests if r.startswith("/pdf/")]


# -- ids and full text --------------------------------------------------------------------

def test_ids_with_full_text_then_a_rerun_is_a_no_op(services: Services, server: LocalServer) -> None:
    with ingestor(services, server) as ing:
        report = ing.ingest_ids([HEAT_BATH, f"{AEW10}v1", "abc", "0000.0000"])
    assert report.to_json()["new"] == [HEAT_BATH, AEW10]
    failed = dict(report.failed)
    assert "not an arXiv id" in failed["abc"]
    assert failed["0000.0000"] == "arXiv has no paper 0000.0000"
    paper = papers.get_paper(services.db, HEAT_BATH)
    assert paper is not None and paper.fulltext == "indexed" and paper.version == 1
    assert Path(paper.pdf_path).name == f"{HEAT_BATH}v1.pdf" and Path(paper.pdf_path).parent == services.paths.pdfs
    kinds = {r[0] for r in services.db.query("SELECT kind FROM chunks WHERE paper_id = ?", (HEAT_BATH,))}
    assert kinds == {"abstract", "body", "caption", "references"}
    consistent(services)
    chunks_before = services.db.scalar("SELECT COUNT(*) FROM chunks")
    downloads = len(pdf_requests(server))

    with ingestor(services, server) as ing:
        again = ing.ingest_ids([HEAT_BATH, AEW10])
    assert again.to_json() == {"new": [], "updated": [], "unchanged": 2, "reread": [], "failed": []}
    assert len(pdf_requests(server)) == downloads  # nothing downloaded twice
    assert services.db.scalar("SELECT COUNT(*) FROM chunks") == chunks_before
    consistent(services)


def test_a_newer_version_replaces_the_old_chunks(services: Services, server: LocalServer,
                                                  tmp_path: Path) -> None:
    with ingestor(services, server) as ing:
        ing.ingest_ids([HEAT_BATH])
    v1_ids = {r[0] for r in services.db.query("SELECT id FROM chunks WHERE version = 1")}
    assert v1_ids

    recorded = next(r for k, r in server.recorded.items() if k[1] == HEAT_BATH)
    v2_body = recorded.body.replace(f"{HEAT_BATH}v1".encode(), f"{HEAT_BATH}v2".encode())
    server.arxiv_override = lambda q: Reply(200, v2_body) if q.get("id_list") == HEAT_BATH else None
    server.pdfs[f"{HEAT_BATH}v2"] = make_paper_pdf(tmp_path / "v2.pdf", title="Heat Bath Random Walks",
                                                   marker="revisedsecondversion",
                                                   sections=("1 Introduction", "2 Method")).read_bytes()
    with ingestor(services, server) as ing:
        report = ing.ingest_ids([HEAT_BATH])
    assert report.to_json()["updated"] == [HEAT_BATH]
    paper = papers.get_paper(services.db, HEAT_BATH)
    assert paper is not None and paper.version == 2 and paper.fulltext == "indexed"
    versions = {r[0] for r in services.db.query(
        "SELECT DISTINCT version FROM chunks WHERE paper_id = ? AND kind != 'abstract'", (HEAT_BATH,))}
    assert versions == {2}
    assert not v1_ids & services.kb.vectors.all_ids()
    assert services.db.scalar("SELECT COUNT(*) FROM chunks WHERE text LIKE '%revisedsecondversion%'")
    consistent(services)


def test_one_bad_pdf_does_not_stop_the_others(services: Services, server: LocalServer, tmp_path: Path) -> None:
    server.pdfs[f"{HEAT_BATH}v1"] = make_corrupt_pdf(tmp_path / "bad.pdf").read_bytes()
    with ingestor(services, server) as ing:
        report = ing.ingest_ids([HEAT_BATH, AEW10])
    failed = dict(report.failed)
    assert "damaged" in failed[HEAT_BATH] and f"{HEAT_BATH}v1.pdf" in failed[HEAT_BATH]
    good = papers.get_paper(services.db, AEW10)
    bad = papers.get_paper(services.db, HEAT_BATH)
    assert good is not None and good.fulltext == "indexed"
    assert bad is not None and bad.fulltext == "failed" and "damaged" in bad.fulltext_error
    assert not (services.paths.pdfs / f"{HEAT_BATH}v1.pdf").exists()  # refetched next time
    consistent(services)


def test_arxiv_offline_is_one_clear_failure_per_id(services: Services, server: LocalServer) -> None:
    with ingestor(services, server, arxiv_api_url=f"http://127.0.0.1:{free_port()}/api/query") as ing:
        report = ing.ingest_ids([HEAT_BATH])
    [(what, reason)] = report.failed
    assert what == HEAT_BATH and "cannot reach arXiv" in reason


# -- what is new ------------------------------------------------------------------------------

def _listing_pages(server: LocalServer, total: int = 30) -> None:
    """Serve the recorded 'testing' pages as the category listing, claiming `total` results."""
    def answer(q: dict[str, str]) -> Reply | None:
        if "submittedDate" not in q.get("search_query", ""):
            return None
        recorded = server.recorded.get(("testing", "", q.get("start", "0"), "10"))
        if recorded is None or int(q.get("start", "0")) >= total:
            return Reply(200, empty_feed())
        body = re.sub(rb"<opensearch:totalResults>\d+<", f"<opensearch:totalResults>{total}<".encode(), recorded.body)
        return Reply(200, body)

    server.arxiv_override = answer


def mentions(paper_titles_abstracts: list[tuple[str, str]], word: str) -> int:
    return sum(1 for t, a in paper_titles_abstracts if re.search(rf"(?i)(?<![\w-]){word}(?![\w-])", f"{t}\n{a}"))


def test_new_listings_narrowed_by_keywords_and_watermarked(services: Services, server: LocalServer) -> None:
    _listing_pages(server)
    with ingestor(services, server, keywords_include=["testing"], keywords_exclude=["software"]) as ing:
        report = ing.fetch_new()
    stored = papers.list_papers(services.db)
    texts = [(p.title, p.abstract) for p in stored]
    assert len(report.new) == len(stored) > 0
    assert mentions(texts, "software") == 0 and mentions(texts, "testing") == len(stored)
    assert any("scanned 30 arXiv listings (30 new)" in n for n in report.notes)
    mark = get_watermark(services.db, NEW_LISTINGS_SOURCE)
    assert mark and mark[:4].isdigit()

    # The next night starts from the watermark (a day back, for late announcements).
    server.requests.clear()
    with ingestor(services, server, keywords_include=["testing"], keywords_exclude=["software"]) as ing:
        again = ing.fetch_new()
    assert again.new == []
    assert any("normal on weekends and holidays" in n for n in again.notes)  # only known papers came back
    from datetime import datetime, timedelta

    start = (datetime.fromisoformat(mark) - timedelta(days=1)).strftime("%Y%m%d%H%M")
    assert any(f"submittedDate%3A%5B{start}" in r for r in server.requests)


def test_weekend_without_listings_is_normal(services: Services, server: LocalServer) -> None:
    server.arxiv_override = lambda q: Reply(200, empty_feed())
    with ingestor(services, server) as ing:
        report = ing.fetch_new()
    assert report.to_json() == {"new": [], "updated": [], "unchanged": 0, "reread": [], "failed": []}
    assert any("normal on weekends and holidays" in n for n in report.notes)
    assert get_watermark(services.db, NEW_LISTINGS_SOURCE) is None


def test_a_missed_night_is_caught_up(services: Services, server: LocalServer) -> None:
    set_watermark(services.db, NEW_LISTINGS_SOURCE, "2026-11-20T10:00:00+00:00")
    server.arxiv_override = lambda q: Reply(200, empty_feed())
    with ingestor(services, server) as ing:
        ing.fetch_new()
    assert any("submittedDate%3A%5B202611191000" in r for r in server.requests)


def test_the_per_run_cap_stops_and_the_watermark_keeps_the_rest(services: Services, server: LocalServer) -> None:
    _listing_pages(server)
    with ingestor(services, server, keywords_include=["testing"], max_new_per_run=3) as ing:
        report = ing.fetch_new()
    assert len(report.new) == 3
    assert any("max_new_per_run" in n for n in report.notes)


# -- composition: lock, mapping, full text for papers worth it ----------------------------

class StubMapper:
    def __init__(self, scores: dict[str, float]) -> None:
        self.scores = scores
        self.mapped: list[str] = []

    def map_and_store(self, paper_ids: Sequence[str]) -> dict:
        self.mapped.extend(paper_ids)
        return {}

    def relevance(self, paper_ids: Sequence[str]) -> dict[str, float]:
        return {i: self.scores.get(i, 0.1) for i in paper_ids}


def _services_for(server: LocalServer, services: Services, **overrides: object) -> Services:
    values = {k: v for k, v in vars(config_for(server, **overrides)).items() if k in IngestSettings.model_fields}
    return build_services(Settings(ingest=IngestSettings(**values)), services.paths,
                          embedder=services.embedder)


def test_run_ingest_maps_new_papers_and_fetches_full_text_only_when_worth_it(services: Services,
                                                                            server: LocalServer) -> None:
    _listing_pages(server)
    svc = _services_for(server, services, keywords_include=["testing"])
    first = "1605.08386"
    mapper = StubMapper({})
    report = run_ingest(svc, new=True, mapper=mapper)
    assert sorted(mapper.mapped) == sorted(report.new) and report.new
    assert pdf_requests(server) == []  # nothing fits the plan well enough

    # A queued paper gets its full text on the next run; relevance ≥ the threshold does too.
    queued = report.new[0]
    papers.set_reading_status(svc.db, queued, "queued")
    relevant = report.new[1]
    for paper_id in (queued, relevant):
        version = papers.get_paper(svc.db, paper_id).version  # type: ignore[union-attr]
        server.pdfs[f"{paper_id}v{version}"] = server.pdfs[f"{first}v1"]
    set_watermark(svc.db, NEW_LISTINGS_SOURCE, "2000-01-01T00:00:00+00:00")
    with svc.db.transaction() as conn:  # let the second run see the same papers as updated
        conn.execute("UPDATE papers SET title = title || ' (old)' WHERE id = ?", (relevant,))
    report2 = run_ingest(svc, new=True, mapper=StubMapper({relevant: 0.9}))
    fetched = {r.split("/pdf/")[1] for r in pdf_requests(server)}
    assert {p.rsplit("v", 1)[0] for p in fetched} == {queued, relevant}
    assert queued in report2.new and relevant in report2.touched
    consistent(svc)
    svc.db.close()


def test_run_ingest_ids_fetches_their_full_text(services: Services, server: LocalServer) -> None:
    svc = _services_for(server, services)
    report = run_ingest(svc, ids=[HEAT_BATH], mapper=StubMapper({}))
    assert report.to_json()["new"] == [HEAT_BATH]
    assert svc.db.scalar("SELECT fulltext FROM papers WHERE id = ?", (HEAT_BATH,)) == "indexed"
    run = svc.db.query("SELECT kind, ok, summary FROM runs ORDER BY id DESC LIMIT 1")[0]
    assert run["kind"] == "ingest" and run["ok"] == 1 and json.loads(run["summary"])["new"] == [HEAT_BATH]
    svc.db.close()


def test_offline_each_source_fails_clearly_and_the_rest_continues(services: Services,
                                                                  server: LocalServer) -> None:
    from tests.test_feeds import ATOM

    server.feeds["news"] = Reply(200, ATOM)
    svc = _services_for(server, services, arxiv_api_url=f"http://127.0.0.1:{free_port()}/api/query",
                        feeds=[f"{server.url}/feed/news"])
    report = run_ingest(svc, new=True, feeds=True, mapper=StubMapper({}))
    failed = dict(report.failed)
    assert "cannot reach arXiv" in failed[NEW_LISTINGS_SOURCE]
    assert len(report.new) == 1  # the feed item came in anyway
    svc.db.close()


# -- the lock ---------------------------------------------------------------------------------

def test_lock_refuses_a_second_holder_and_says_who(tmp_path: Path) -> None:
    with IngestLock(tmp_path, "the scheduler service") as lock:
        lock.update("downloading PDFs")
        with pytest.raises(LockHeld) as info:
            IngestLock(tmp_path, "paperplan ingest").acquire()
        message = str(info.value)
        assert f"pid {os.getpid()}" in message and "the scheduler service: downloading PDFs" in message
        assert "since 20" in message and info.value.hint
    with IngestLock(tmp_path, "paperplan ingest"):  # released: free again
        assert (read_holder(tmp_path) or {})["holder"] == "paperplan ingest"


def test_a_lock_left_by_a_killed_process_is_taken_over(tmp_path: Path) -> None:
    code = ("import sys, time; from pathlib import Path; from kb.locks import IngestLock\n"
            f"lock = IngestLock(Path({str(tmp_path)!r}), 'doomed').acquire(); print('held', flush=True); time.sleep(60)")
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=REPO, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
    with pytest.raises(LockHeld, match="doomed"):
        IngestLock(tmp_path, "paperplan ingest").acquire()
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    with IngestLock(tmp_path, "paperplan ingest") as lock:
        assert lock.held


# -- local PDFs -------------------------------------------------------------------------------

def test_add_files_and_folders(services: Services, server: LocalServer, tmp_path: Path) -> None:
    folder = tmp_path / "papers"
    folder.mkdir()
    make_paper_pdf(folder / "stamped.pdf")  # arXiv stamp 2501.00001v2 on page 1 (unknown to arXiv here)
    make_paper_pdf(folder / f"{HEAT_BATH}.pdf", stamp=None)  # an arXiv id as its name
    make_paper_pdf(folder / "notes.pdf", title="My Reading Notes On Fusion", stamp=None)
    make_corrupt_pdf(folder / "broken.pdf")
    (folder / "readme.txt").write_text("not a pdf")
    with ingestor(services, server) as ing:
        report = ing.add_pdfs([folder, tmp_path / "missing.pdf"])
    added = {a["id"]: a for a in report.added}
    sha = next(i for i in added if i.startswith("sha256:"))
    assert set(added) == {"2501.00001", HEAT_BATH, sha} and len(sha) == len("sha256:") + 16
    assert added[sha]["title"] == "My Reading Notes On Fusion" and added[sha]["pages"] == 3
    assert added[HEAT_BATH]["title"] == "Heat-bath random walks with Markov bases"  # completed from arXiv
    assert added["2501.00001"]["title"] == "Cross-Modal Fusion Under Missing Modalities"
    assert all(a["chunks"] > 3 for a in added.values())
    reasons = {Path(f["path"]).name: f["reason"] for f in report.failed}
    assert set(reasons) == {"broken.pdf", "missing.pdf"} and "damaged" in reasons["broken.pdf"]
    assert papers.get_paper(services.db, "2501.00001").version == 2  # type: ignore[union-attr]
    assert {p.name for p in services.paths.pdfs.iterdir()} >= {"2501.00001v2.pdf", f"{HEAT_BATH}v1.pdf"}
    consistent(services)

    with ingestor(services, server) as ing:
        again = ing.add_pdfs([folder])
    assert again.added == [] and sorted(again.unchanged) == sorted(added)


def test_add_offline_completes_metadata_from_the_snapshot(services: Services, server: LocalServer,
                                                          tmp_path: Path) -> None:
    arxiv_id, record = next(iter(snapshot_records().items()))
    path = make_paper_pdf(tmp_path / f"{arxiv_id}.pdf", stamp=None, title="Something Else Entirely")
    with ingestor(services, server, arxiv_api_url=f"http://127.0.0.1:{free_port()}/api/query") as ing:
        report = ing.add_pdfs([path])
    assert [a["id"] for a in report.added] == [arxiv_id]
    assert report.added[0]["title"] == record["title"]
    paper = papers.get_paper(services.db, arxiv_id)
    assert paper is not None and paper.plan_resource and paper.fulltext == "indexed"


# -- reading stored PDFs again after a parser upgrade -------------------------------------------

def _as_if_read_by_parser_v1(services: Services, paper_id: str, caption: str) -> None:
    """What a KB built before tables were read row by row holds: parsed_with 1, loose numbers."""
    services.db.conn.execute("UPDATE papers SET parsed_with = 1 WHERE id = ?", (paper_id,))
    services.db.conn.execute("UPDATE chunks SET text = ? WHERE paper_id = ? AND section = ?",
                             (f"{caption}: Results on RealScholarQuery. GPT-o1 - 0.058 0.0134", paper_id, caption))


def test_an_upgraded_parser_reads_the_stored_pdfs_again(services: Services, server: LocalServer) -> None:
    from ingest.pdf import PARSER_VERSION

    with ingestor(services, server) as ing:
        assert [a["id"] for a in ing.add_pdfs([shared_pdf("2501.10120_pasa.pdf")]).added] == ["2501.10120"]
        assert ing.reread().to_json()["reread"] == []  # read by this parser already
    _as_if_read_by_parser_v1(services, "2501.10120", "Table 6")
    notes = papers.get_paper(services.db, "2501.10120")
    status = CliRunner().invoke(app, ["status"])
    assert status.exit_code == 0
    assert "1 paper was read by an older PDF parser" in status.stdout and "--reread" in status.stdout

    with ingestor(services, server) as ing:
        report = ing.reread()
    assert report.reread == ["2501.10120"] and not report.failed
    table6 = services.db.scalar("SELECT text FROM chunks WHERE paper_id = '2501.10120' AND section = 'Table 6'")
    assert "GPT-o1: Crawler Recall -; Precision 0.058; Recall 0.0134" in str(table6)
    assert services.db.scalar("SELECT parsed_with FROM papers WHERE id = '2501.10120'") == PARSER_VERSION
    assert papers.get_paper(services.db, "2501.10120") == notes  # its metadata and state are as they were
    consistent(services)
    with ingestor(services, server) as ing:
        assert ing.reread().reread == []  # once is enough
    assert json.loads(CliRunner().invoke(app, ["status", "--json"]).stdout)["awaiting_reread"] == 0


def test_a_stored_pdf_that_is_gone_or_broken_keeps_its_passages(services: Services, server: LocalServer,
                                                                tmp_path: Path) -> None:
    with ingestor(services, server) as ing:
        ing.ingest_ids([HEAT_BATH, AEW10])
    before = {r[0]: r[1] for r in services.db.query("SELECT id, text FROM chunks")}
    services.db.conn.execute("UPDATE papers SET parsed_with = 1")
    Path(papers.get_paper(services.db, HEAT_BATH).pdf_path).unlink()  # type: ignore[union-attr]
    make_corrupt_pdf(Path(papers.get_paper(services.db, AEW10).pdf_path))  # type: ignore[union-attr]

    with ingestor(services, server) as ing:
        report = ing.reread()
    assert report.reread == []
    assert any(HEAT_BATH in n and "is gone" in n and f"paperplan ingest --ids {HEAT_BATH}" in n for n in report.notes)
    (failed_id, reason), = report.failed
    assert failed_id == AEW10 and "its passages stay as they were" in reason
    assert {r[0]: r[1] for r in services.db.query("SELECT id, text FROM chunks")} == before
    with ingestor(services, server) as ing:
        again = ing.reread()
    assert again.notes == [] and again.failed == []  # reported once, not every night


def test_the_nightly_run_rereads_a_batch_and_says_how_many_are_left(services: Services,
                                                                    server: LocalServer) -> None:
    with ingestor(services, server) as ing:
        ing.ingest_ids([HEAT_BATH, AEW10])
    services.db.conn.execute("UPDATE papers SET parsed_with = 1")
    with ingestor(services, server) as ing:
        report = ing.reread(limit=1)
    assert report.reread == [HEAT_BATH]  # in id order
    assert any("re-read 1 of 2 papers" in n and "paperplan ingest --reread" in n for n in report.notes)
    with ingestor(services, server) as ing:
        assert ing.reread(limit=1).reread == [AEW10]


# -- CLI --------------------------------------------------------------------------------------

@pytest.fixture
def cli_services(services: Services, server: LocalServer, monkeypatch: pytest.MonkeyPatch) -> Services:
    svc = _services_for(server, services)
    svc.__dict__["topic_mapper"] = StubMapper({})
    monkeypatch.setattr(ingest_commands, "_services", lambda: svc)
    return svc


def test_cli_ingest_json(cli_services: Services) -> None:
    result = CliRunner().invoke(app, ["ingest", "--ids", f"{HEAT_BATH},abc", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {"new", "updated", "unchanged", "reread", "failed"}
    assert data["new"] == [HEAT_BATH] and data["unchanged"] == 0
    assert data["failed"][0]["id"] == "abc" and "not an arXiv id" in data["failed"][0]["reason"]


def test_cli_ingest_reread_reads_only_the_stored_pdfs(cli_services: Services, server: LocalServer) -> None:
    assert CliRunner().invoke(app, ["ingest", "--ids", HEAT_BATH]).exit_code == 0
    cli_services.db.conn.execute("UPDATE papers SET parsed_with = 1")
    api_calls = len(server.requests)
    result = CliRunner().invoke(app, ["ingest", "--reread"])
    assert result.exit_code == 0, result.output
    assert "re-read: 1" in result.stdout and f"reread: {HEAT_BATH}" in result.stdout
    assert len(server.requests) == api_calls  # no arXiv listing, no download: the file on disk is read


def test_cli_ingest_nothing_done_exits_1(cli_services: Services) -> None:
    result = CliRunner().invoke(app, ["ingest", "--ids", "abc"])
    assert result.exit_code == 1
    assert "failed abc: not an arXiv id" in result.stderr


def test_cli_ingest_bad_since_and_lock_held(cli_services: Services) -> None:
    result = CliRunner().invoke(app, ["ingest", "--since", "yesterday"])
    assert result.exit_code == 1 and "error: --since 'yesterday' is not a date" in result.stderr
    with IngestLock(cli_services.paths.root, "the scheduler service"):
        result = CliRunner().invoke(app, ["ingest", "--ids", HEAT_BATH])
    assert result.exit_code == 1
    assert "error: another ingest holds" in result.stderr and "the scheduler service" in result.stderr
    assert "hint:" in result.stderr


def test_cli_add_json(cli_services: Services, tmp_path: Path) -> None:
    pdf = make_paper_pdf(tmp_path / "x.pdf", stamp=None, title="A Local Paper About Fusion")
    result = CliRunner().invoke(app, ["add", str(pdf), str(tmp_path / "nope.pdf"), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == {"added", "unchanged", "failed"}
    [added] = data["added"]
    assert set(added) == {"id", "title", "pages", "chunks"} and added["title"] == "A Local Paper About Fusion"
    assert data["failed"][0]["path"].endswith("nope.pdf")
    result = CliRunner().invoke(app, ["add", str(tmp_path / "nope.pdf")])
    assert result.exit_code == 1 and "does not exist" in result.stderr


# -- the plan's surveys -------------------------------------------------------------------

def _atom_entry(record: dict, version: int) -> bytes:
    from xml.sax.saxutils import escape

    arxiv_id = record["arxiv_id"]
    authors = "".join(f"<author><name>{escape(a)}</name></author>" for a in record.get("authors") or [])
    published = (record.get("published") or "2024-01-01")[:10]
    return (f"<entry><id>http://arxiv.org/abs/{arxiv_id}v{version}</id><updated>{published}T00:00:00Z</updated>"
            f"<published>{published}T00:00:00Z</published><title>{escape(record['title'])}</title>"
            f"<summary>{escape(record.get('abstract') or '')}</summary>{authors}"
            f"<arxiv:primary_category term=\"cs.CV\"/><category term=\"cs.CV\"/>"
            f"<link href=\"https://arxiv.org/pdf/{arxiv_id}v{version}\" title=\"pdf\" type=\"application/pdf\"/>"
            f"</entry>").encode()


def test_plan_surveys_seeded_offline_get_their_full_text(services: Services, server: LocalServer,
                                                        tmp_path: Path) -> None:
    from kb.snapshot import seed_plan_papers
    from tests.ingest_helpers import feed_of

    papers.sync_topics(services.db, services.plan)
    seed_plan_papers(services.kb, services.plan)
    records = snapshot_records()
    surveys = [r.arxiv_id for _, r in services.plan.surveys if r.arxiv_id in records][:3]
    assert len(surveys) == 3
    entries = {i: _atom_entry(records[i], 1) for i in surveys}
    server.arxiv_override = lambda q: (Reply(200, feed_of([entries[i] for i in q["id_list"].split(",")]))
                                       if q.get("id_list") else None)
    for i in surveys:
        server.pdfs[f"{i}v1"] = make_paper_pdf(tmp_path / f"{i}.pdf", title=records[i]["title"][:60],
                                               stamp=None).read_bytes()
    svc = _services_for(server, services)
    report = run_ingest(svc, ids=surveys, mapper=StubMapper({}))
    assert report.failed == [] and sorted(report.touched) == sorted(surveys)
    for i in surveys:
        paper = papers.get_paper(svc.db, i)
        assert paper is not None and paper.fulltext == "indexed" and paper.version == 1 and paper.plan_resource
        assert any(a.method == "plan" for a in papers.topic_assignments(svc.db, i))  # the plan's topic stays
    consistent(svc)
    svc.db.close()


def test_the_nightly_run_catches_up_on_plan_surveys_without_full_text(services: Services,
                                                                      server: LocalServer) -> None:
    from kb.snapshot import seed_plan_papers

    seed_plan_papers(services.kb, services.plan)
    server.arxiv_override = lambda q: Reply(200, empty_feed())  # a quiet night
    svc = _services_for(server, services)
    report = run_ingest(svc, new=True, mapper=StubMapper({}))
    plan_ids = {r[0] for r in svc.db.query("SELECT id FROM papers WHERE plan_resource = 1")}
    assert {r.split("/pdf/")[1] for r in pdf_requests(server)} == plan_ids  # each one asked for once
    assert {i for i, _ in report.failed} == plan_ids  # none served here: reported, left pending for next time
    assert {r[0] for r in svc.db.query("SELECT DISTINCT fulltext FROM papers WHERE plan_resource = 1")} == {"pending"}
    svc.db.close()
