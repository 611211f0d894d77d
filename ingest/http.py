"""HTTP the polite way: one session, a timeout on every request, a minimum interval between
two requests to the same host, retries with backoff on 429 and 5xx (honouring Retry-After).

arXiv asks for no more than one request every three seconds over one connection; the
session enforces the interval for the API and PDF downloads alike, since both share it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlparse

import requests

from kb.errors import PaperplanError

log = logging.getLogger(__name__)

USER_AGENT = "paperplan/0.1 (personal study companion; polite: 1 request / 3 s)"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_BACKOFF_S = 120.0


class FetchError(PaperplanError):
    """A source could not be reached or answered with an error; the message names the URL."""

    hint = "check the network (or the URL in your config); the next run retries and catches up"


class PoliteSession(requests.Session):
    """A requests session that gives every request a timeout and spaces requests per host."""

    def __init__(self, timeout_s: float, interval_s: float, sleep: Callable[[float], None] = time.sleep) -> None:
        super().__init__()
        self.timeout_s = timeout_s
        self.interval_s = interval_s
        self.headers["User-Agent"] = USER_AGENT
        self._sleep = sleep
        self._last: dict[str, float] = {}
        self._lock = threading.Lock()
        self.last_response: requests.Response | None = None

    def request(self, method: str, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        # The arxiv client passes no timeout: without one a stalled server hangs the night's run.
        kwargs.setdefault("timeout", self.timeout_s)
        host = urlparse(url if isinstance(url, str) else url.decode()).netloc
        with self._lock:
            wait = self._last.get(host, -1e9) + self.interval_s - time.monotonic()
            if wait > 0:
                self._sleep(wait)
            try:
                response = super().request(method, url, *args, **kwargs)
            finally:
                self._last[host] = time.monotonic()
        self.last_response = response
        return response


def backoff_s(attempt: int, interval_s: float, retry_after: str | None = None) -> float:
    """Seconds to wait before retry `attempt` (0-based): Retry-After when given, else doubling."""
    if retry_after:
        try:
            return min(max(float(retry_after), 0.0), MAX_BACKOFF_S)
        except ValueError:
            pass  # an HTTP date: fall back to our own doubling
    return min(max(interval_s, 0.01) * 2 ** (attempt + 1), MAX_BACKOFF_S)


def is_offline_error(exc: BaseException) -> bool:
    """Connection refused or no DNS: retrying at once is pointless, the next run will retry."""
    return isinstance(exc, requests.ConnectionError) and not isinstance(exc, requests.Timeout)


def get_with_retries(session: PoliteSession, url: str, retries: int, *, stream: bool = False,
                     headers: dict[str, str] | None = None, allow_redirects: bool = True) -> requests.Response:
    """GET with backoff on 429/5xx and timeouts. Raises FetchError naming the URL."""
    attempt = 0
    while True:
        try:
            response = session.get(url, stream=stream, headers=headers, allow_redirects=allow_redirects)
        except requests.RequestException as exc:
            if is_offline_error(exc) or attempt >= retries:
                raise FetchError(f"cannot fetch {url}: {_reason(exc)}") from exc
            delay = backoff_s(attempt, session.interval_s)
        else:
            if response.status_code not in RETRY_STATUSES:
                return response
            if attempt >= retries:
                response.close()
                raise FetchError(f"{url} answered HTTP {response.status_code} after {retries + 1} tries")
            delay = backoff_s(attempt, session.interval_s, response.headers.get("Retry-After"))
            response.close()
        log.info("retrying %s in %.1f s (try %d of %d)", url, delay, attempt + 2, retries + 1)
        session._sleep(delay)
        attempt += 1


def _reason(exc: BaseException) -> str:
    if isinstance(exc, requests.Timeout):
        return "timed out"
    if is_offline_error(exc):
        return "cannot connect (offline?)"
    return f"{type(exc).__name__}: {exc}"


def reason_of(exc: BaseException) -> str:
    """A short reason for a failure list."""
    if isinstance(exc, PaperplanError):
        return str(exc)
    return _reason(exc)
