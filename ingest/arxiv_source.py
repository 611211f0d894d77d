"""arXiv through the `arxiv` package: the only module that imports it.

Fetching (the real `arxiv.Client`, pointed at `ingest.arxiv_api_url`, over our polite
session) is kept apart from parsing (`paper_from_result`, a pure function from the client's
Result to our Paper). The client's own retry loop retries at once; ours backs off on 429/5xx
and timeouts, and treats arXiv's sporadic empty pages and malformed XML as retryable too.
"""

from __future__ import annotations

import logging
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import arxiv
import requests

from ingest.arxiv_ids import split_id
from ingest.http import FetchError, PoliteSession, backoff_s, is_offline_error, reason_of
from ingest.venues import venue_of
from kb.types import Paper

log = logging.getLogger(__name__)

ID_BATCH = 100  # ids per id_list request: long URLs are refused by some proxies


class ArxivError(FetchError):
    hint = "check the network or ingest.arxiv_api_url; the next run retries and catches up"


class ArxivQueryRejected(ArxivError):
    hint = "fix the query or id; arXiv's message above says what it did not accept"


class MalformedFeed(Exception):
    """The answer was not well-formed Atom (a proxy's HTML page, a cut-off download)."""


@dataclass
class Listing:
    paper: Paper
    submitted: datetime  # of the first version: the order of 'what is new'


def _clean(text: str | None) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


def paper_from_result(result: Any) -> Paper:
    """An arxiv.Result as our Paper: version-less id plus version, venue from comment/journal-ref."""
    short = result.get_short_id()
    parsed = split_id(short)
    paper_id, version = parsed if parsed else (short, None)
    comment, journal_ref = _clean(result.comment), _clean(result.journal_ref)
    return Paper(
        id=paper_id, version=version, title=_clean(result.title), source="arxiv",
        authors=[_clean(a.name) for a in result.authors], abstract=_clean(result.summary),
        categories=list(result.categories), primary_category=result.primary_category or "",
        published=result.published.date().isoformat() if result.published else None,
        updated=result.updated.date().isoformat() if result.updated else None,
        comment=comment, journal_ref=journal_ref, doi=_clean(result.doi),
        venue=venue_of(comment, journal_ref), url=f"https://arxiv.org/abs/{paper_id}",
        pdf_url=result.pdf_url or f"https://arxiv.org/pdf/{short}",
    )


class _PoliteClient(arxiv.Client):
    """The real arxiv client, with our session, our URL and our retry policy per page."""

    def __init__(self, api_url: str, session: PoliteSession, page_size: int, retries: int) -> None:
        # delay 0: the session spaces requests (and shares the interval with PDF downloads).
        super().__init__(page_size=page_size, delay_seconds=0.0, num_retries=0)
        self.query_url_format = api_url.rstrip("?") + "?{}"
        self._session = session
        self._polite = session
        self._retries = retries

    def _parse_feed(self, url: str, first_page: bool = True, _try_index: int = 0) -> Any:
        attempt = 0
        while True:
            try:
                feed = super()._parse_feed(url, first_page=first_page, _try_index=0)
                _check_well_formed(self._polite.last_response)
                return feed
            except arxiv.HTTPError as exc:
                if exc.status not in (429, 500, 502, 503, 504):
                    raise ArxivQueryRejected(
                        f"arXiv refused {url} (HTTP {exc.status}): {_error_summary(self._polite.last_response)}"
                    ) from exc
                retry_after = self._polite.last_response.headers.get("Retry-After") \
                    if self._polite.last_response is not None else None
                problem: BaseException = exc
            except (arxiv.UnexpectedEmptyPageError, MalformedFeed) as exc:
                retry_after, problem = None, exc
            except ValueError as exc:  # the package's parser chokes on a cut-off or bad date
                retry_after, problem = None, MalformedFeed(str(exc))
            except requests.RequestException as exc:
                if is_offline_error(exc):
                    raise ArxivError(f"cannot reach arXiv at {url}: {reason_of(exc)}") from exc
                retry_after, problem = None, exc
            if attempt >= self._retries:
                raise ArxivError(f"arXiv at {url} failed after {attempt + 1} tries: {_describe(problem)}") from problem
            delay = backoff_s(attempt, self._polite.interval_s, retry_after)
            log.info("arXiv: %s; retrying in %.1f s", _describe(problem), delay)
            self._polite._sleep(delay)
            attempt += 1


def _describe(exc: BaseException) -> str:
    if isinstance(exc, arxiv.HTTPError):
        return f"HTTP {exc.status}"
    if isinstance(exc, arxiv.UnexpectedEmptyPageError):
        return "an unexpectedly empty page"
    if isinstance(exc, MalformedFeed):
        return f"malformed XML ({exc})"
    return reason_of(exc)


# What expat raises on bytes it cannot read: a declared encoding it does not know
# (`encoding="UTF-6"`, found by the fuzz pass) is a LookupError, not a ParseError.
UNREADABLE_XML = (ET.ParseError, LookupError)


def _check_well_formed(response: requests.Response | None) -> None:
    # The client parses with recovery on, so a cut-off page would quietly look short or empty.
    if response is None:
        return
    try:
        ET.fromstring(response.content)
    except UNREADABLE_XML as exc:
        raise MalformedFeed(str(exc)) from exc


def _error_summary(response: requests.Response | None) -> str:
    """arXiv's error feed carries its message in the entry's summary."""
    if response is None:
        return "no answer"
    try:
        root = ET.fromstring(response.content)
        summary = root.find("{http://www.w3.org/2005/Atom}entry/{http://www.w3.org/2005/Atom}summary")
        if summary is not None and summary.text:
            return summary.text.strip()
    except UNREADABLE_XML:
        pass
    return response.text[:200].strip() or "no message"


class ArxivSource:
    def __init__(self, api_url: str, session: PoliteSession, page_size: int = 100, retries: int = 4) -> None:
        self.api_url = api_url
        self._client = _PoliteClient(api_url, session, page_size, retries)

    def _results(self, search: arxiv.Search) -> Iterator[Any]:
        try:
            yield from self._client.results(search)
        except requests.RequestException as exc:  # anything our retry loop let through
            raise ArxivError(f"arXiv at {self.api_url}: {reason_of(exc)}") from exc

    def search(self, query: str, max_results: int) -> Iterator[Paper]:
        search = arxiv.Search(query=query, max_results=max_results)
        for result in self._results(search):
            yield paper_from_result(result)

    def fetch_ids(self, ids: Sequence[str]) -> list[Paper]:
        """Metadata of these arXiv ids (version-less or not); ids arXiv does not know are left out."""
        out: list[Paper] = []
        for start in range(0, len(ids), ID_BATCH):
            part = list(ids[start:start + ID_BATCH])
            search = arxiv.Search(id_list=part, max_results=len(part))
            out.extend(paper_from_result(r) for r in self._results(search))
        return out

    def new_listings(self, categories: Sequence[str], since: datetime, until: datetime | None = None,
                     max_results: int | None = None) -> Iterator[Listing]:
        """Papers first submitted in [since, until] in any of the categories, oldest first."""
        until = until or datetime.now(UTC)
        cats = " OR ".join(f"cat:{c}" for c in categories)
        window = f"submittedDate:[{since.strftime('%Y%m%d%H%M')} TO {until.strftime('%Y%m%d%H%M')}]"
        search = arxiv.Search(query=f"({cats}) AND {window}", max_results=max_results,
                              sort_by=arxiv.SortCriterion.SubmittedDate, sort_order=arxiv.SortOrder.Ascending)
        for result in self._results(search):
            yield Listing(paper_from_result(result), result.published)
