"""Lab blogs and news feeds: parsing RSS/Atom into blog items (never raising on junk), and the
nightly feed run against a local server (conditional GET, one bad feed or entry never stops it)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ingest.config import IngestConfig
from ingest.feeds import feed_item_id, parse_feed, plain_text
from ingest.pipeline import Ingestor
from kb import papers
from paperplan.wiring import Services
from tests.ingest_helpers import LocalServer, Reply

RSS = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Lab Blog</title><link>https://lab.example.com/</link>
<item><title>Scaling vision-language models</title><link>https://lab.example.com/posts/vlm</link>
<description>&lt;p&gt;We trained a &lt;b&gt;bigger&lt;/b&gt; model.&lt;/p&gt;&lt;script&gt;alert(1)&lt;/script&gt;</description>
<pubDate>Tue, 10 Nov 2026 09:00:00 GMT</pubDate><author>ada@example.com (Ada)</author></item>
<item><title>No link here</title><description>orphan</description></item>
<item><title>Audio tokenizers</title><link>https://lab.example.com/posts/audio</link>
<description>Discrete audio tokens for speech.</description></item>
</channel></rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Research News</title>
<entry><title>Video understanding at scale</title><link href="https://news.example.org/video"/>
<id>tag:news.example.org,2026:video</id><updated>2026-11-20T12:00:00Z</updated>
<summary>Long video benchmarks.</summary></entry></feed>"""


def test_rss_entries_become_blog_items_with_plain_text() -> None:
    parsed = parse_feed(RSS, "https://lab.example.com/rss")
    assert parsed.title == "Lab Blog"
    assert [i.title for i in parsed.items] == ["Scaling vision-language models", "Audio tokenizers"]
    first = parsed.items[0]
    assert first.id == feed_item_id("https://lab.example.com/posts/vlm") and first.id.startswith("feed:")
    assert (first.kind, first.source, first.venue) == ("blog", "feed", "Lab Blog")
    assert first.abstract == "We trained a bigger model."  # tags and the script are gone
    assert first.published == "2026-11-10"
    assert parsed.skipped == ["an entry of https://lab.example.com/rss (No link here) has no web link"]


def test_atom_entries() -> None:
    parsed = parse_feed(ATOM, "https://news.example.org/atom")
    assert [(i.title, i.url, i.published) for i in parsed.items] == [
        ("Video understanding at scale", "https://news.example.org/video", "2026-11-20")]


def test_broken_feed_is_reported_not_raised() -> None:
    parsed = parse_feed(b"<rss><channel><item><title>cut off", "https://x.example/rss")
    assert parsed.items == [] and parsed.malformed


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=400))
def test_parse_feed_never_raises_on_junk(data: bytes) -> None:
    parsed = parse_feed(data, "https://x.example/rss")
    assert all(i.id.startswith("feed:") and i.title for i in parsed.items)


@given(st.text(max_size=200))
def test_plain_text_has_no_tags(markup: str) -> None:
    text = plain_text(markup)
    assert "<script" not in text.lower() and text == text.strip()


@pytest.fixture
def server() -> Iterator[LocalServer]:
    s = LocalServer()
    yield s
    s.close()


def _ingestor(services: Services, server: LocalServer, feeds: list[str]) -> Ingestor:
    config = IngestConfig(arxiv_api_url=f"{server.url}/api/query", request_interval_s=0.0, timeout_s=3.0,
                          max_retries=0, feeds=feeds)
    return Ingestor(services.kb, services.plan, config, services.paths.pdfs)


def test_feed_run_stores_items_once_and_uses_conditional_get(services: Services, server: LocalServer,
                                                              tmp_path: Path) -> None:
    server.feeds["lab"] = Reply(200, RSS, {"ETag": '"v1"', "Content-Type": "application/rss+xml"})
    server.feeds["news"] = Reply(200, ATOM, {"Content-Type": "application/atom+xml"})
    feeds = [f"{server.url}/feed/lab", f"{server.url}/feed/missing", f"{server.url}/feed/news"]
    with _ingestor(services, server, feeds) as ingestor:
        report = ingestor.fetch_feeds()
    assert len(report.new) == 3
    failed = dict(report.failed)
    assert "HTTP 404" in failed[f"{server.url}/feed/missing"]  # one bad feed, the others went on
    assert "has no web link" in failed[f"{server.url}/feed/lab"]
    stored = papers.get_paper(services.db, feed_item_id("https://lab.example.com/posts/vlm"))
    assert stored is not None and stored.kind == "blog"
    hits = services.kb.dense_search("scaling vision-language models bigger model", k=3)
    assert hits and hits[0].chunk.paper_id == stored.id

    with _ingestor(services, server, feeds) as ingestor:
        again = ingestor.fetch_feeds()
    assert again.new == [] and again.updated == []
    assert any("not changed since the last run" in n for n in again.notes)  # the lab feed answered 304
    assert services.db.scalar("SELECT COUNT(*) FROM papers WHERE kind = 'blog'") == 3
