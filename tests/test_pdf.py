"""PDFs: parsing generated two-column papers and the real arXiv PDFs in ../shared, the named
errors for bad files, the parse time limit, section-aware chunks, and safe downloads."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ingest.chunking import CHUNK_CHARS, chunk_pdf
from ingest.http import FetchError, PoliteSession
from ingest.pdf import (
    CorruptPdf,
    EmptyPdf,
    EncryptedPdf,
    HostNotAllowed,
    ImageOnlyPdf,
    NotAPdf,
    PdfParser,
    PdfTimeout,
    PdfTooLarge,
    check_pdf_file,
    download_pdf,
    parse_pdf,
)
from tests.conftest import shared_pdf
from tests.ingest_helpers import (
    LocalServer,
    Reply,
    make_blank_pdf,
    make_corrupt_pdf,
    make_encrypted_pdf,
    make_image_only_pdf,
    make_paper_pdf,
)


def test_generated_two_column_paper(tmp_path: Path) -> None:
    parsed = parse_pdf(make_paper_pdf(tmp_path / "paper.pdf", pages=3))
    assert parsed.title == "Cross-Modal Fusion Under Missing Modalities"
    assert (parsed.arxiv_id, parsed.version) == ("2501.00001", 2)  # the vertical stamp on page 1
    assert parsed.pages == 3
    titles = [s.title for s in parsed.sections]
    assert titles[-5:] == ["1 Introduction", "2 Method", "3 Experiments", "4 Conclusion", "References"]
    assert parsed.abstract.startswith("We present")
    assert [(c.label, c.page) for c in parsed.captions] == [("Figure 1", 1), ("Table 1", 3)]
    refs = parsed.references
    assert len(refs) == 1 and "Learning transferable visual models" in refs[0].text
    body = " ".join(s.text for s in parsed.sections if s.kind == "body")
    assert "Learning transferable" not in body and "Figure 1:" not in body
    assert "arXiv:2501.00001" not in body  # the margin stamp is not body text


def test_chunks_carry_section_pages_and_kind(tmp_path: Path) -> None:
    parsed = parse_pdf(make_paper_pdf(tmp_path / "paper.pdf", pages=3))
    chunks = chunk_pdf("2501.00001", 2, parsed)
    assert [c.seq for c in chunks] == list(range(1, len(chunks) + 1))
    assert {c.kind for c in chunks} == {"body", "caption", "references"}
    for c in chunks:
        assert c.paper_id == "2501.00001" and c.version == 2 and c.section
        assert c.page_first is not None and c.page_last is not None
        assert 1 <= c.page_first <= c.page_last <= 3
        assert len(c.text) <= 2 * CHUNK_CHARS
    experiments = [c for c in chunks if c.section == "3 Experiments"]
    assert experiments and all(c.page_first == 2 for c in experiments)
    assert [c.section for c in chunks if c.kind == "caption"] == ["Figure 1", "Table 1"]


def test_real_arxiv_paper_pasa() -> None:
    parsed = parse_pdf(shared_pdf("2501.10120_pasa.pdf"))
    assert parsed.title == "PaSa: An LLM Agent for Comprehensive Academic Paper Search"
    assert (parsed.arxiv_id, parsed.version) == ("2501.10120", 1)
    assert parsed.pages == 15
    titles = [s.title for s in parsed.sections]
    assert "1 Introduction" in titles and "6 Conclusion" in titles and "References" in titles
    assert parsed.abstract.startswith("We introduce PaSa")
    assert any(c.label == "Figure 1" for c in parsed.captions)
    # Appendices after the references are body text again.
    assert any(s.title.startswith("A.1") and s.kind == "body" for s in parsed.sections)
    chunks = chunk_pdf("2501.10120", 1, parsed)
    assert max(c.page_last or 0 for c in chunks) == 15


def test_real_paper_without_stamp_keeps_its_sections() -> None:
    parsed = parse_pdf(shared_pdf("2203.06947_xylayoutlm.pdf"))
    assert parsed.arxiv_id is None  # the CVF version: no arXiv stamp
    assert parsed.title.startswith("XYLayoutLM")
    titles = [s.title for s in parsed.sections]
    assert "1. Introduction" in titles and "3.3. Proper Reading Orders" in titles
    assert [s.kind for s in parsed.sections if s.title == "References"] == ["references"]
    assert sum(c.label.startswith("Table") for c in parsed.captions) >= 5


def test_a_tables_cells_travel_with_its_caption_and_leave_the_prose() -> None:
    parsed = parse_pdf(shared_pdf("2203.06947_xylayoutlm.pdf"))
    (table4,) = [c for c in parsed.captions if c.label == "Table 4"]
    assert table4.text.startswith("Table 4. F1 scores") and "Aug XY Cut (0.5, 0.5, 10): SER ZH 0.8702" in table4.text
    body = " ".join(s.text for s in parsed.sections)
    assert "0.8702" not in body  # the numbers no longer sit inside a prose chunk
    assert "we conduct experiments on XFUN with different reading orders" in body  # the prose stays

    pasa = parse_pdf(shared_pdf("2501.10120_pasa.pdf"))
    (table4,) = [c for c in pasa.captions if c.label == "Table 4"]
    assert "c([Search]) (Equation 1): Value 0.1" in table4.text
    # Short headings next to a table are not cells: the sections they open survive.
    assert {"3.2 RealScholarQuery", "4.2 Crawler"} <= {s.title for s in pasa.sections}


def test_a_results_table_row_says_which_column_each_number_is() -> None:
    pasa = {c.label: c.text for c in parse_pdf(shared_pdf("2501.10120_pasa.pdf")).captions}
    # Table 5's caption sits between Table 5 and Table 6: each caption gets its own numbers.
    assert "GPT-o1: Crawler Recall -; Precision 0.058; Recall 0.0134" in pasa["Table 6"]
    assert "GPT-o1: Crawler Recall -; Precision 0.0413; Recall 0.1925" in pasa["Table 5"]
    assert "0.058" not in pasa["Table 5"]
    # The statistics belong to "Table 2: Statistics …", not to the examples table above them.
    assert "CVPR 2024: |P| 1336; |Q| 9528; Ans(/Q) 2.94" in pasa["Table 2"]
    assert "1336" not in pasa["Table 1"]

    xy = {c.label: c.text for c in parse_pdf(shared_pdf("2203.06947_xylayoutlm.pdf")).captions}
    # "SER" and "RE" each span five rows: every row keeps its task.
    assert "RE: Methods XYLayoutLM; XFUN Avg. 0.6779; ZH 0.7445" in xy["Table 1"]
    assert "SER: Methods XLM-RoBERT [6]; XFUN Avg. 0.7047" in xy["Table 1"]
    # Two-level headers: "SER" over "ZH | ES" in one spanning cell, and "DCPE" over a second
    # header row "Text | Image".
    assert "descending (X,Y): SER ZH 0.8561; SER ES 0.7343; RE ZH 0.6858; RE ES 0.6549" in xy["Table 4"]
    assert "DCPE Text D-Conv1d: DCPE Image Conv2d; SER ZH 0.9163; SER ES 0.7669; RE ZH 0.7440" in xy["Table 5"]
    assert "w/o [Expand]: AutoScholarQuery Crawler Recall 0.3355; AutoScholarQuery Precision 0.1445" in pasa["Table 8"]


def test_when_the_table_finder_fails_the_cells_still_travel_with_the_caption(monkeypatch) -> None:
    import ingest.pdf

    def broken(page: object, number: int) -> list[object]:
        raise RuntimeError("finder crashed")

    monkeypatch.setattr(ingest.pdf, "page_tables", broken)
    parsed = parse_pdf(shared_pdf("2203.06947_xylayoutlm.pdf"))
    assert any("page 6: the table finder failed (finder crashed)" in w for w in parsed.warnings)
    (table4,) = [c for c in parsed.captions if c.label == "Table 4"]
    assert "Aug XY Cut (0.5, 0.5, 10) 0.8702" in table4.text


def test_a_long_table_is_split_and_every_piece_says_which_table_it_is() -> None:
    from ingest.pdf import Caption, ParsedPdf

    cells = " ".join(f"row{i} 0.{i:04d}" for i in range(400))
    parsed = ParsedPdf(path="t.pdf", pages=1, title="T", sections=[], captions=[
        Caption("Table 9", 1, f"Table 9. Scores per row.\n{cells}")])
    pieces = [c for c in chunk_pdf("2501.00001", 1, parsed) if c.kind == "caption"]
    assert len(pieces) > 1 and all(c.text.startswith("Table 9. Scores per row.\n") for c in pieces)
    assert all(len(c.text) <= CHUNK_CHARS + len("Table 9. Scores per row.\n") for c in pieces)
    kept = " ".join(c.text.partition("\n")[2] for c in pieces)
    assert all(f"row{i} 0.{i:04d}" in kept for i in range(400))  # nothing is cut off


def test_real_physics_paper_reads_roman_headings_and_fig_captions() -> None:
    parsed = parse_pdf(shared_pdf("1111.2011v2.pdf"))
    assert (parsed.arxiv_id, parsed.version) == ("1111.2011", 2)
    assert "I. INTRODUCTION" in [s.title for s in parsed.sections]
    assert [c.label for c in parsed.captions][:2] == ["Figure 1", "Figure 2"]


@pytest.mark.parametrize(("make", "error", "words"), [
    (make_corrupt_pdf, CorruptPdf, "damaged"),
    (make_encrypted_pdf, EncryptedPdf, "password"),
    (make_blank_pdf, EmptyPdf, "no text"),
    (make_image_only_pdf, ImageOnlyPdf, "page 1"),
])
def test_bad_pdfs_raise_named_errors_naming_the_file(tmp_path: Path, make, error, words) -> None:  # type: ignore[no-untyped-def]
    path = make(tmp_path / "bad.pdf")
    with pytest.raises(error, match=words) as info:
        parse_pdf(path)
    assert str(path) in str(info.value) and info.value.hint


def test_file_checks_before_parsing(tmp_path: Path) -> None:
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    with pytest.raises(EmptyPdf, match="0 bytes"):
        check_pdf_file(empty, 10_000)
    html = tmp_path / "page.pdf"
    html.write_bytes(b"<!DOCTYPE html><html>not a pdf</html>")
    with pytest.raises(NotAPdf, match="not a PDF"):
        check_pdf_file(html, 10_000)
    big = make_paper_pdf(tmp_path / "big.pdf")
    with pytest.raises(PdfTooLarge, match="over the"):
        check_pdf_file(big, 100)


def test_worker_parses_reports_errors_and_enforces_the_time_limit(tmp_path: Path) -> None:
    good = make_paper_pdf(tmp_path / "good.pdf")
    with PdfParser(timeout_s=60) as parser:
        assert parser.parse(good).title.startswith("Cross-Modal")
        with pytest.raises(EncryptedPdf, match="password"):
            parser.parse(make_encrypted_pdf(tmp_path / "locked.pdf"))
        assert parser.parse(good).pages == 3  # the worker survives a bad file
    with PdfParser(timeout_s=0.01) as hasty:
        with pytest.raises(PdfTimeout, match=r"good\.pdf: parsing took over"):
            hasty.parse(good)
        hasty.timeout_s = 60
        assert hasty.parse(good).pages == 3  # a fresh worker after the abandoned one


# -- downloads ------------------------------------------------------------------------------

@pytest.fixture
def server() -> Iterator[LocalServer]:
    s = LocalServer()
    yield s
    s.close()


def _download(server: LocalServer, name: str, dest: Path, **kw) -> Path:  # type: ignore[no-untyped-def]
    args = {"max_bytes": 5_000_000, "allowed_hosts": ["127.0.0.1"], "retries": 1} | kw
    return download_pdf(PoliteSession(5.0, 0.0), f"{server.url}/pdf/{name}", dest, **args)


def test_download_is_atomic_and_checked(server: LocalServer, tmp_path: Path) -> None:
    server.pdfs["2501.00001v2"] = make_paper_pdf(tmp_path / "src.pdf").read_bytes()
    dest = _download(server, "2501.00001v2", tmp_path / "pdfs" / "2501.00001v2.pdf")
    assert dest.read_bytes().startswith(b"%PDF-") and parse_pdf(dest).pages == 3
    assert [p.name for p in dest.parent.iterdir()] == ["2501.00001v2.pdf"]


def test_download_refuses_html_and_oversize_and_leaves_nothing(server: LocalServer, tmp_path: Path) -> None:
    server.pdfs["html"] = b"<html>Your PDF is being generated</html>"
    server.pdfs["big"] = b"%PDF-1.7\n" + b"x" * 200_000
    with pytest.raises(NotAPdf, match="did not return a PDF"):
        _download(server, "html", tmp_path / "pdfs" / "a.pdf")
    with pytest.raises(PdfTooLarge, match="over the"):
        _download(server, "big", tmp_path / "pdfs" / "b.pdf", max_bytes=100_000)
    assert list((tmp_path / "pdfs").iterdir()) == []


def test_download_only_from_allowed_hosts_even_after_a_redirect(server: LocalServer, tmp_path: Path) -> None:
    with pytest.raises(HostNotAllowed, match="allowed_pdf_hosts"):
        _download(server, "x", tmp_path / "a.pdf", allowed_hosts=["arxiv.org"])
    server.script = [Reply(302, b"", {"Location": "http://evil.example.com/pdf/x"})]
    with pytest.raises(HostNotAllowed, match=r"evil\.example\.com"):
        _download(server, "x", tmp_path / "a.pdf")
    assert not (tmp_path / "a.pdf").exists()


def test_download_404_is_a_fetch_error_naming_the_url(server: LocalServer, tmp_path: Path) -> None:
    with pytest.raises(FetchError, match=r"/pdf/missing answered HTTP 404"):
        _download(server, "missing", tmp_path / "a.pdf")
