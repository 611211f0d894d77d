"""Lab blogs and news feeds (RSS/Atom) through feedparser: fetching apart from parsing.

Feed text is untrusted: it is reduced to plain text (tags, scripts and styles dropped) and
stored as a blog item (`Paper(kind='blog', source='feed', id='feed:<hash of link>')`) that
the KB can search and recommend; nothing in it is ever followed or executed.
"""

from __future__ import annotations

import calendar
import hashlib
import html
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ingest.http import FetchError, PoliteSession, get_with_retries
from kb.types import Paper

MAX_SUMMARY_CHARS = 4000


@dataclass
class FeedFetch:
    url: str
    content: bytes | None  # None: not modified since the last fetch
    etag: str = ""
    modified: str = ""


@dataclass
class ParsedFeed:
    title: str
    items: list[Paper] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # why an entry was left out
    malformed: str = ""  # the parser's complaint when the document is broken


def feed_item_id(link: str) -> str:
    return "feed:" + hashlib.sha256(link.strip().encode()).hexdigest()[:16]


def fetch_feed(session: PoliteSession, url: str, retries: int, etag: str = "", modified: str = "") -> FeedFetch:
    """GET the feed, conditionally (ETag / Last-Modified) so an unchanged feed costs nothing."""
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if modified:
        headers["If-Modified-Since"] = modified
    response = get_with_retries(session, url, retries, headers=headers)
    with response:
        if response.status_code == 304:
            return FeedFetch(url, None, etag, modified)
        if response.status_code != 200:
            raise FetchError(f"feed {url} answered HTTP {response.status_code}")
        return FeedFetch(url, response.content, response.headers.get("ETag", ""),
                         response.headers.get("Last-Modified", ""))


_TAG = re.compile(r"<(script|style)\b.*?</\1\s*>|<[^>]+>", re.IGNORECASE | re.DOTALL)


def plain_text(markup: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(_TAG.sub(" ", markup or ""))).strip()


def _date(entry: Any) -> str | None:
    for key in ("published_parsed", "updated_parsed"):
        value = entry.get(key)
        if value:
            return datetime.fromtimestamp(calendar.timegm(value), UTC).date().isoformat()
    return None


def parse_feed(content: bytes, url: str) -> ParsedFeed:
    """Entries of an RSS/Atom document as blog items. Never raises on bad input."""
    import feedparser

    data = feedparser.parse(content)
    feed_title = plain_text(data.feed.get("title", "")) or url
    parsed = ParsedFeed(feed_title)
    for entry in data.entries:
        link = (entry.get("link") or entry.get("id") or "").strip()
        title = plain_text(entry.get("title", ""))
        if not link.startswith(("http://", "https://")):
            parsed.skipped.append(f"an entry of {url} ({title or 'untitled'}) has no web link")
            continue
        if not title:
            parsed.skipped.append(f"the entry {link} of {url} has no title")
            continue
        summary = entry.get("summary") or ""
        if not summary and entry.get("content"):
            summary = entry["content"][0].get("value", "")
        authors = [plain_text(a.get("name", "")) for a in entry.get("authors", []) if a.get("name")]
        parsed.items.append(Paper(
            id=feed_item_id(link), title=title[:500], source="feed", kind="blog", authors=authors,
            abstract=plain_text(summary)[:MAX_SUMMARY_CHARS], published=_date(entry), url=link,
            venue=feed_title[:200],
        ))
    if data.bozo and not parsed.items:  # broken and nothing usable in it: one clear complaint
        parsed.malformed = f"{type(data.bozo_exception).__name__}: {data.bozo_exception}"
        parsed.skipped = []
    return parsed


def watermark_value(fetch: FeedFetch) -> str:
    return json.dumps({"etag": fetch.etag, "modified": fetch.modified})


def read_watermark(value: str | None) -> tuple[str, str]:
    try:
        data = json.loads(value or "{}")
        return str(data.get("etag", "")), str(data.get("modified", ""))
    except ValueError:
        return "", ""
