"""Faults from the outside world end in a named error, and the run goes on with the rest.

arXiv (a scripted server on 127.0.0.1): 429, 503, stalls, cut-off transfers, truncated and
malformed XML. PDFs: corrupt, encrypted, empty, image-only, over the size limit, and one
that hangs the parser. The LLM: timeouts, junk, truncated JSON. A full disk while writing.
A Chroma server that goes away mid-run is in test_chroma_server.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from agent.llm import LLMError, LLMOutputError, LLMTimeout
from agent.quiz import CardJob, generate_cards, grade_answer
from ingest.arxiv_source import ArxivError, ArxivSource
from ingest.http import FetchError, PoliteSession
from ingest.pdf import (
    CorruptPdf,
    EmptyPdf,
    EncryptedPdf,
    ImageOnlyPdf,
    NotAPdf,
    PdfError,
    PdfParser,
    PdfTimeout,
    PdfTooLarge,
    check_pdf_file,
    download_pdf,
)
from kb import cards, papers
from kb.cards import Card
from kb.errors import PaperplanError
from kb.types import Chunk, Paper, TopicAssignment
from paperplan.wiring import Services
from tests.reliability import helpers
from tests.reliability.fakes import scripted_llm
from tests.reliability.helpers import Reply, atom_entry, atom_feed, scripted_server

REPO = Path(__file__).resolve().parents[2]


def session(timeout_s: float = 0.5) -> PoliteSession:
    return PoliteSession(timeout_s=timeout_s, interval_s=0.0, sleep=lambda s: None)


GOOD_FEED = atom_feed(atom_entry("2501.00002", "The paper after the fault"))

ARXIV_FAULTS = {
    "429": Reply("status", b"rate limited", status=429, headers={"Retry-After": "0"}),
    "503": Reply("status", b"<html>Service Unavailable</html>", status=503),
    "stall": Reply("stall", stall_s=3.0),
    "cut-transfer": Reply("cut", GOOD_FEED[: len(GOOD_FEED) // 2]),
    "truncated-xml": Reply("ok", GOOD_FEED[: len(GOOD_FEED) // 2]),
    "malformed-xml": Reply("ok", b"<html><body><h1>Proxy error</h1><p>not atom</body>"),
    "bad-date-in-entry": Reply("ok", atom_feed(atom_entry("2501.00001", published="yesterday-ish"))),
}


@pytest.mark.parametrize("fault", sorted(ARXIV_FAULTS))
def test_arxiv_fault_is_named_and_the_next_request_goes_on(fault: str) -> None:
    retries = 2
    script = [ARXIV_FAULTS[fault]] * (retries + 1) + [Reply("ok", GOOD_FEED)]
    with scripted_server(script, max_requests=10, max_seconds=30) as (url, log):
        source = ArxivSource(url + "/api/query", session(), page_size=10, retries=retries)
        with pytest.raises(ArxivError) as caught:
            source.fetch_ids(["2501.00001"])
        assert url in str(caught.value), "the error names the arXiv endpoint"
        # The run continues: the same source serves the next request.
        rest = source.fetch_ids(["2501.00002"])
    assert [p.id for p in rest] == ["2501.00002"]
    assert len(log.paths) == retries + 2


@pytest.mark.parametrize("fault", ["429", "503", "stall", "malformed-xml"])
def test_arxiv_transient_fault_is_retried(fault: str) -> None:
    with scripted_server([ARXIV_FAULTS[fault], Reply("ok", GOOD_FEED)], max_requests=5) as (url, _log):
        got = ArxivSource(url + "/api/query", session(), retries=2).fetch_ids(["2501.00002"])
    assert [p.id for p in got] == ["2501.00002"]


def test_arxiv_offline_is_named_at_once() -> None:
    source = ArxivSource(f"http://127.0.0.1:{helpers.free_port()}/api/query", session(), retries=3)
    with pytest.raises(ArxivError, match="cannot reach arXiv"):
        source.fetch_ids(["2501.00001"])


# -- PDFs -----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def bad_pdfs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("pdfs")
    good = helpers.text_pdf(d / "good.pdf")
    hang = helpers.hanging_pdf(d / "hangs.pdf")  # parsing it would take hours
    return {
        "good": good,
        "corrupt": helpers.corrupt_pdf(d / "corrupt.pdf", good),
        "encrypted": helpers.encrypted_pdf(d / "encrypted.pdf"),
        "blank": helpers.blank_pdf(d / "blank.pdf"),
        "image-only": helpers.image_only_pdf(d / "scanned.pdf"),
        "hang": hang,
        "good-2": helpers.text_pdf(d / "good-2.pdf", seed=2),
    }


def test_bad_pdfs_each_end_in_a_named_error_and_the_parser_goes_on(bad_pdfs: dict[str, Path]) -> None:
    expected: dict[str, tuple[type[PdfError], ...]] = {
        "corrupt": (CorruptPdf, EmptyPdf), "encrypted": (EncryptedPdf,), "blank": (EmptyPdf,),
        "image-only": (ImageOnlyPdf,), "hang": (PdfTimeout,),
    }
    outcomes: dict[str, str] = {}
    with PdfParser(timeout_s=120.0) as parser:
        for name in ["good", "corrupt", "encrypted", "blank", "image-only", "hang", "good-2"]:
            # A short limit for the pathological file only: the limit also covers starting the
            # parser's worker process, which a loaded machine can make slow.
            parser.timeout_s = 4.0 if name == "hang" else 120.0
            try:
                parsed = parser.parse(bad_pdfs[name])
                outcomes[name] = "ok:" + parsed.title
            except PdfError as exc:
                assert str(bad_pdfs[name]) in str(exc), f"{name}: the error names the file: {exc}"
                assert isinstance(exc, expected[name]), f"{name}: {type(exc).__name__}: {exc}"
                outcomes[name] = type(exc).__name__
    assert outcomes["good"].startswith("ok:") and outcomes["good-2"].startswith("ok:"), outcomes
    assert outcomes["hang"] == "PdfTimeout"


def test_size_limit_and_empty_file_are_refused_before_parsing(bad_pdfs: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(PdfTooLarge, match="over the"):
        check_pdf_file(bad_pdfs["good"], max_bytes=500)
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    with pytest.raises(EmptyPdf, match="empty"):
        check_pdf_file(empty, max_bytes=10**6)
    html = tmp_path / "page.pdf"
    html.write_text("<html>a login page</html>")
    with pytest.raises(NotAPdf):
        check_pdf_file(html, max_bytes=10**6)


@pytest.mark.parametrize("fault", ["declared-huge", "streamed-huge", "html", "503"])
def test_pdf_download_faults_leave_no_partial_file(fault: str, tmp_path: Path) -> None:
    big = b"%PDF-1.7\n" + b"0" * 300_000
    reply = {
        "declared-huge": Reply("ok", big),
        "streamed-huge": Reply("stream", big),
        "html": Reply("ok", b"<html>Just a moment...</html>"),
        "503": Reply("status", b"busy", status=503),
    }[fault]
    dest = tmp_path / "pdfs" / "2501.00001v1.pdf"
    with scripted_server([reply], max_requests=5) as (url, _log), \
            pytest.raises((PdfTooLarge, NotAPdf, FetchError)) as caught:
        download_pdf(session(), url + "/pdf/2501.00001v1", dest, max_bytes=100_000,
                     allowed_hosts=["127.0.0.1"], retries=1)
    assert isinstance(caught.value, PaperplanError)
    assert not dest.exists()
    assert not list(dest.parent.glob("*.part")) if dest.parent.exists() else True


# -- the LLM ------------------------------------------------------------------------------------

PASSAGE = (
    "CLIP learns visual concepts from natural language supervision. It trains an image encoder and a text "
    "encoder jointly with a contrastive objective that predicts which captions go with which images. The "
    "model is trained on 400 million image-text pairs collected from the internet. At test time, CLIP "
    "performs zero-shot classification by embedding the names of the target classes."
)
GOOD_SHORT = {
    "question": "How many image-text pairs is CLIP trained on?",
    "answer": "400 million image-text pairs collected from the internet",
    "quote": "The model is trained on 400 million image-text pairs collected from the internet.",
}
TRUNCATED = '{"question": "How many image-text pairs is CLIP trained on?", "answer": "400 mil'
LLM_FAULTS: dict[str, object] = {
    "timeout": TimeoutError("read timed out after 180 s"),
    "junk": "Sure! Here is a great question for you: what is CLIP?",
    "truncated-json": TRUNCATED,
    "connection-refused": ConnectionRefusedError("connect failed"),
}


def _paper_chunk(svc: Services, paper_id: str) -> Chunk:
    papers.sync_topics(svc.db, svc.plan)
    papers.upsert_paper(svc.db, Paper(id=paper_id, title="Learning Transferable Visual Models", source="arxiv"))
    papers.set_topic_assignments(svc.db, paper_id, [TopicAssignment(paper_id, 1, 0.9, "embedding")])
    chunk = Chunk(paper_id=paper_id, seq=0, kind="abstract", text=PASSAGE, section="Abstract")
    papers.replace_chunks(svc.db, paper_id, [chunk])
    return chunk


@pytest.mark.parametrize("fault", sorted(LLM_FAULTS))
def test_llm_fault_is_named(fault: str) -> None:
    from agent.quiz import ShortDraft

    llm, _chat = scripted_llm(LLM_FAULTS[fault])
    expected = {"timeout": LLMTimeout, "junk": LLMOutputError, "truncated-json": LLMOutputError,
                "connection-refused": LLMError}[fault]
    with pytest.raises(expected) as caught:
        llm.structured(ShortDraft, "system", "user")
    assert "fake:scripted" in str(caught.value), "the error names the model"


@pytest.mark.parametrize("fault", sorted(LLM_FAULTS))
def test_card_generation_drops_the_faulty_card_and_goes_on(fault: str, services: Services) -> None:
    first = _paper_chunk(services, "2103.00020")
    second = _paper_chunk(services, "2103.00021")
    # Every call about the first paper faults; the second paper's draft is good.
    llm, _chat = scripted_llm(GOOD_SHORT, when={"FAULTY PAPER": LLM_FAULTS[fault]})
    if fault == "connection-refused":
        # No model to talk to: every later card would fail the same way, so the run stops with
        # the named error, keeping the cards already made.
        with pytest.raises(LLMError, match="fake:scripted"):
            generate_cards(services.kb, llm, [CardJob(second, "short", 1, "CLIP"),
                                              CardJob(first, "short", 1, "FAULTY PAPER")])
        assert [c.paper_id for c in cards.list_cards(services.db)] == ["2103.00021"]
        return
    report = generate_cards(services.kb, llm, [CardJob(first, "short", 1, "FAULTY PAPER"),
                                               CardJob(second, "short", 1, "CLIP")])
    assert [c.paper_id for c in report.cards] == ["2103.00021"]
    assert [d.paper_id for d in report.dropped] == ["2103.00020"]
    assert cards.list_cards(services.db)[0].paper_id == "2103.00021"


@pytest.mark.parametrize("fault", sorted(LLM_FAULTS))
def test_grading_falls_back_when_the_llm_fails(fault: str, services: Services) -> None:
    card = Card(type="short", question=GOOD_SHORT["question"], answer=GOOD_SHORT["answer"], paper_id="x",
                source_quote=PASSAGE)
    llm, _chat = scripted_llm(LLM_FAULTS[fault], capable=True)
    grade = grade_answer(card, "400 million image-text pairs collected from the internet", services.embedder, llm)
    assert grade.correct
    wrong = grade_answer(card, "a few thousand photos", services.embedder, llm)
    assert not wrong.correct


# -- a full disk ----------------------------------------------------------------------------------

@pytest.mark.parametrize("what", ["note", "database", "add-pdf"])
def test_full_disk_while_writing_is_named_and_keeps_the_old_state(what: str, tmp_path: Path) -> None:
    """The writer runs in a subprocess whose files cannot grow past a few hundred kB
    (RLIMIT_FSIZE: writes fail with EFBIG, as on a full disk)."""
    env = {**os.environ, "PAPERPLAN_HOME": str(tmp_path / "data"), "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-m", "tests.reliability.diskfull", what, str(tmp_path)],
                          capture_output=True, text=True, env=env, cwd=REPO, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["named"], f"a full disk surfaced as {result['error']}: {result['message']}"
    assert result["old_state_kept"], result
    assert result["integrity"] == "ok", result
