"""The real `arxiv` client against a local server serving recorded arXiv answers: paging,
empty results, the 400 error feed, 503-then-OK, 429 with Retry-After, a stalled server,
malformed and truncated XML, and no server at all. Plus property tests for the id and venue
parsers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ingest.arxiv_ids import id_from_file_name, id_from_stamp, safe_file_stem, split_id
from ingest.arxiv_source import ArxivError, ArxivQueryRejected, ArxivSource
from ingest.http import PoliteSession
from ingest.venues import venue_of, venue_tags
from tests.conftest import free_port
from tests.ingest_helpers import LocalServer, Reply


@pytest.fixture
def server() -> Iterator[LocalServer]:
    s = LocalServer()
    yield s
    s.close()


def source(server: LocalServer, *, interval: float = 0.0, timeout: float = 5.0, retries: int = 2,
           page_size: int = 100) -> ArxivSource:
    return ArxivSource(f"{server.url}/api/query", PoliteSession(timeout, interval), page_size, retries)


def test_id_lookup_becomes_a_paper_without_version_in_its_id(server: LocalServer) -> None:
    [paper] = source(server).fetch_ids(["1605.08386"])
    assert paper.id == "1605.08386" and paper.version == 1
    assert paper.title == "Heat-bath random walks with Markov bases"
    assert paper.source == "arxiv" and paper.authors and paper.abstract
    assert paper.comment == "20 pages, 3 figures"
    assert paper.url == "https://arxiv.org/abs/1605.08386"
    assert paper.published and paper.published.startswith("2016-")


def test_two_ids_one_unknown_returns_the_known_one(server: LocalServer) -> None:
    papers = source(server).fetch_ids(["0808.05394", "1707.08567"])
    assert [p.id for p in papers] == ["1707.08567"]


def test_unknown_id_is_an_empty_answer_not_an_error(server: LocalServer) -> None:
    assert source(server).fetch_ids(["0000.0000"]) == []


def test_paging_walks_every_page_once(server: LocalServer) -> None:
    papers = list(source(server, page_size=10).search("testing", max_results=25))
    assert len(papers) == 25 and len({p.id for p in papers}) == 25
    starts = [r for r in server.requests if "start=" in r]
    assert [s.split("start=")[1].split("&")[0] for s in starts] == ["0", "10", "20"]


def test_the_400_error_feed_says_what_arxiv_refused(server: LocalServer) -> None:
    with pytest.raises(ArxivQueryRejected, match="incorrect id format for abc"):
        source(server).fetch_ids(["abc"])
    assert len(server.requests) == 1  # a refusal is not retried


def test_503_then_ok_is_retried_after_a_pause(server: LocalServer) -> None:
    server.script = [Reply(503, b"busy")]
    [paper] = source(server, interval=0.05).fetch_ids(["1605.08386"])
    assert paper.id == "1605.08386"
    assert len(server.requests) == 2
    assert server.request_times[1] - server.request_times[0] >= 0.1  # backoff doubles the interval


def test_429_honours_retry_after(server: LocalServer) -> None:
    server.script = [Reply(429, b"slow down", {"Retry-After": "0.3"})]
    source(server).fetch_ids(["1605.08386"])
    assert server.request_times[1] - server.request_times[0] >= 0.3


def test_requests_are_spaced_by_the_interval(server: LocalServer) -> None:
    list(source(server, interval=0.3, page_size=10).search("testing", max_results=30))
    gaps = [b - a for a, b in zip(server.request_times, server.request_times[1:], strict=False)]
    assert len(gaps) == 2 and min(gaps) >= 0.29


def test_persistent_503_gives_up_with_the_url(server: LocalServer) -> None:
    server.script = [Reply(503, b"busy")] * 3
    with pytest.raises(ArxivError, match=r"failed after 3 tries: HTTP 503") as info:
        source(server, retries=2).fetch_ids(["1605.08386"])
    assert server.url in str(info.value)


def test_a_stalled_server_times_out(server: LocalServer) -> None:
    server.script = [Reply(200, b"", stall_s=2.0)] * 2
    with pytest.raises(ArxivError, match="timed out"):
        source(server, timeout=0.3, retries=1).fetch_ids(["1605.08386"])


def test_malformed_xml_is_retried_then_reported(server: LocalServer) -> None:
    server.script = [Reply(200, b"<html><body>Service Unavailable</body>")] * 2
    with pytest.raises(ArxivError, match="malformed XML"):
        source(server, retries=1).fetch_ids(["1605.08386"])


def test_a_feed_in_an_unknown_encoding_is_reported_as_malformed(server: LocalServer) -> None:
    # Found by the fuzz pass: expat raises LookupError, not ParseError, for this declaration.
    server.script = [Reply(200, b'<?xml version="1.0" encoding="UTF-6"?><feed/>')] * 2
    with pytest.raises(ArxivError, match=r"/api/query.*malformed XML \(unknown encoding: UTF-6\)"):
        source(server, retries=1).fetch_ids(["1605.08386"])


def test_a_truncated_page_is_fetched_again(server: LocalServer) -> None:
    whole = server.recorded[("testing", "", "0", "10")].body
    server.script = [Reply(200, whole[: len(whole) // 2])]
    papers = list(source(server, page_size=10).search("testing", max_results=10))
    assert len(papers) == 10


def test_unexpected_empty_page_is_retried(server: LocalServer) -> None:
    calls = {"n": 0}

    def empty_once(q: dict[str, str]) -> Reply | None:
        if q.get("start") == "10" and calls["n"] == 0:
            calls["n"] += 1
            from tests.ingest_helpers import empty_feed

            return Reply(200, empty_feed())
        return None

    server.arxiv_override = empty_once
    papers = list(source(server, page_size=10).search("testing", max_results=20))
    assert len(papers) == 20 and calls["n"] == 1


def test_no_server_fails_fast_and_names_the_url() -> None:
    url = f"http://127.0.0.1:{free_port()}/api/query"
    src = ArxivSource(url, PoliteSession(2.0, 0.0), 100, 4)
    with pytest.raises(ArxivError, match="cannot reach arXiv") as info:
        src.fetch_ids(["1605.08386"])
    assert url in str(info.value)


# -- pure parsers ---------------------------------------------------------------------------

@given(st.from_regex(r"\A(0[7-9]|1\d|2[0-6])(0[1-9]|1[0-2])\.\d{4,5}\Z"), st.one_of(st.none(), st.integers(1, 40)))
def test_split_id_round_trips(base: str, version: int | None) -> None:
    text = base + (f"v{version}" if version else "")
    assert split_id(text) == (base, version)
    assert split_id(f"arXiv:{text}") == (base, version)
    assert id_from_stamp(f"arXiv:{text} [cs.CV] 3 Jan 2025") == (base, version)
    assert id_from_file_name(f"{text}_some-title") == (base, version)
    assert "/" not in safe_file_stem(base, version)


@given(st.text(max_size=60))
def test_split_id_never_raises(text: str) -> None:
    result = split_id(text)
    assert result is None or isinstance(result[0], str)


def test_old_style_ids() -> None:
    assert split_id("hep-th/9901001v2") == ("hep-th/9901001", 2)
    assert split_id("math.GT/0309136") == ("math.GT/0309136", None)
    assert id_from_file_name("hep-th_9901001v1") == ("hep-th/9901001", 1)
    assert safe_file_stem("hep-th/9901001", 1) == "hep-th_9901001v1"
    assert split_id("abc") is None and split_id("2501.101") is None


@pytest.mark.parametrize(("comment", "journal_ref", "venue"), [
    ("Accepted to CVPR 2024", "", "CVPR 2024"),
    ("NeurIPS 2023 (spotlight), 12 pages", "", "NeurIPS 2023"),
    ("", "Proceedings of ACL-IJCNLP 2021", "ACL 2021"),
    ("Camera-ready for ICLR'24", "", "ICLR 2024"),
    ("", "IEEE Transactions on Pattern Analysis and Machine Intelligence, 2022", "TPAMI 2022"),
    ("Submitted to ECCV 2024", "", ""),
    ("20 pages, 3 figures", "", ""),
    ("we use an acl-style template", "", ""),
])
def test_venue_read_from_comment_and_journal_ref(comment: str, journal_ref: str, venue: str) -> None:
    assert venue_of(comment, journal_ref) == venue


@given(st.text(max_size=200), st.text(max_size=200))
def test_venue_parser_never_raises(comment: str, journal_ref: str) -> None:
    tags = venue_tags(comment, journal_ref)
    assert len(tags) == len(set(tags))
    assert isinstance(venue_of(comment, journal_ref), str)
