"""BibTeX a reference manager reads back as written: arXiv fields, escaping, unique keys."""

from __future__ import annotations

import bibtexparser
from bibtexparser import middlewares
from hypothesis import given, settings
from hypothesis import strategies as st

from kb.bibtex import bibliography, latex_escape, render_bibliography
from kb.types import Paper


def parse(text: str, decode: bool = False) -> bibtexparser.Library:
    extra = [middlewares.LatexDecodingMiddleware()] if decode else []
    library = bibtexparser.parse_string(text, append_middleware=[*extra, middlewares.SeparateCoAuthors()])
    assert not library.failed_blocks, [b.error for b in library.failed_blocks]
    return library


def fields(entry: bibtexparser.model.Entry) -> dict[str, object]:
    return {k: f.value for k, f in entry.fields_dict.items()}


def test_arxiv_paper_gets_the_eprint_fields_arxiv_itself_exports() -> None:
    paper = Paper(id="2502.10816", version=3, title="Multimodal Fusion: A Survey", source="arxiv",
                  authors=["Jürgen Schmidhuber", "Ada Lovelace"], published="2025-02-15T10:00:00Z",
                  primary_category="cs.LG", categories=["cs.LG", "cs.CV"], doi="10.1000/x_y")
    entry = parse(render_bibliography(bibliography([paper]))).entries[0]
    assert entry.entry_type == "misc" and entry.key == "schmidhuber2025multimodal"
    assert fields(entry) == {
        "title": "Multimodal Fusion: A Survey", "author": ["Jürgen Schmidhuber", "Ada Lovelace"],
        "year": "2025", "eprint": "2502.10816", "archivePrefix": "arXiv", "primaryClass": "cs.LG",
        "url": "https://arxiv.org/abs/2502.10816", "doi": r"10.1000/x\_y",
    }


def test_latex_specials_are_escaped_and_decode_back() -> None:
    title = "Fusion & {Attention}: 100% of $x_1$ #1 ~ \\ back"
    paper = Paper(id="cs/0601001", title=title, source="arxiv", authors=["A. B"], published="2006-01-01")
    entry = parse(render_bibliography(bibliography([paper])), decode=True).entries[0]
    assert fields(entry)["title"] == title
    assert fields(entry)["eprint"] == "cs/0601001" and fields(entry)["primaryClass"] == "cs"


def test_local_pdf_has_no_arxiv_fields() -> None:
    paper = Paper(id="sha256:0123abcd0123abcd", title="My own PDF", source="local")
    entry = parse(render_bibliography(bibliography([paper]))).entries[0]
    assert "eprint" not in fields(entry) and fields(entry)["title"] == "My own PDF"


def test_same_author_year_word_gets_distinct_keys() -> None:
    a = Paper(id="2501.00001", title="Fusion one", source="arxiv", authors=["X Li"], published="2025-01-01")
    b = Paper(id="2501.00002", title="Fusion two", source="arxiv", authors=["Y Li"], published="2025-01-02")
    keys = [e.key for e in parse(render_bibliography(bibliography([a, b, a]))).entries]
    assert keys == ["li2025fusion", "li2025fusiona"]


@settings(max_examples=150, deadline=None)
@given(title=st.text(max_size=80), authors=st.lists(st.text(max_size=30), max_size=4))
def test_any_title_and_authors_read_back_unchanged(title: str, authors: list[str]) -> None:
    paper = Paper(id="2502.10816", title=title, source="arxiv", authors=authors, published="2025-02-15",
                  primary_category="cs.LG")
    entry = parse(render_bibliography(bibliography([paper]))).entries[0]
    got = fields(entry)
    assert got["title"] == latex_escape(title)
    kept = [latex_escape(a) for a in authors if a.strip()]
    names = got.get("author", [])
    assert isinstance(names, list) and len(names) == len(kept)
    assert all(n in (k, f"{{{k}}}") for n, k in zip(names, kept, strict=True))
    assert got["eprint"] == "2502.10816" and got["archivePrefix"] == "arXiv"
