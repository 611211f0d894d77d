"""Test support for ingest: a local HTTP server serving recorded arXiv answers, PDFs and
feeds (nothing reaches the internet), and generated PDFs of every shape a learner may meet."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

ARXIV_FIXTURES = Path(__file__).resolve().parent / "fixtures" / "arxiv"


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    stall_s: float = 0.0  # wait this long before answering (a stalled server)


def recorded_arxiv() -> dict[tuple[str, str, str, str], Reply]:
    """(search_query, id_list, start, max_results) → the recorded answer."""
    table = {}
    for path in sorted(ARXIV_FIXTURES.glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        q = {k: v[0] for k, v in parse_qs(urlparse(data["url"]).query, keep_blank_values=True).items()}
        key = (q.get("search_query", ""), q.get("id_list", ""), q.get("start", "0"), q.get("max_results", ""))
        table[key] = Reply(data["status_code"], data["body"].encode("utf-8"),
                           {"Content-Type": "application/atom+xml; charset=utf-8"})
    return table


def empty_feed() -> bytes:
    return (b"<?xml version='1.0' encoding='UTF-8'?>\n<feed xmlns:opensearch=\"http://a9.com/-/spec/opensearch/1.1/\""
            b" xmlns:arxiv=\"http://arxiv.org/schemas/atom\" xmlns=\"http://www.w3.org/2005/Atom\"><title>arXiv Query</title>"
            b"<opensearch:itemsPerPage>0</opensearch:itemsPerPage><opensearch:totalResults>0</opensearch:totalResults>"
            b"<opensearch:startIndex>0</opensearch:startIndex></feed>")


def feed_of(entries: list[bytes]) -> bytes:
    head = empty_feed().split(b"<opensearch:itemsPerPage>")[0]
    n = str(len(entries)).encode()
    return (head + b"<opensearch:itemsPerPage>" + n + b"</opensearch:itemsPerPage><opensearch:totalResults>" + n
            + b"</opensearch:totalResults><opensearch:startIndex>0</opensearch:startIndex>" + b"".join(entries)
            + b"</feed>")


class LocalServer:
    """A threaded HTTP server on 127.0.0.1 with programmable answers.

    - `/api/query`: the recorded arXiv answers (or `arxiv_override(query) -> Reply | None`)
    - `/pdf/<name>`: `pdfs[name]` bytes
    - `/feed/<name>`: `feeds[name]` Reply
    - `script`: replies used first, in order, for the next requests to any path
    """

    def __init__(self) -> None:
        self.recorded = recorded_arxiv()
        self.pdfs: dict[str, bytes] = {}
        self.feeds: dict[str, Reply] = {}
        self.script: list[Reply] = []
        self.arxiv_override: Callable[[dict[str, str]], Reply | None] | None = None
        self.requests: list[str] = []
        self.request_times: list[float] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                server.requests.append(self.path)
                server.request_times.append(time.monotonic())
                reply = server.reply_for(self.path, dict(self.headers))
                if reply.stall_s:
                    time.sleep(reply.stall_s)
                try:
                    self.send_response(reply.status)
                    for k, v in reply.headers.items():
                        self.send_header(k, v)
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self._thread.start()

    def reply_for(self, path: str, headers: dict[str, str]) -> Reply:
        if self.script:
            return self.script.pop(0)
        parsed = urlparse(path)
        if parsed.path == "/api/query":
            q = {k: v[0] for k, v in parse_qs(parsed.query, keep_blank_values=True).items()}
            if self.arxiv_override is not None:
                reply = self.arxiv_override(q)
                if reply is not None:
                    return reply
            key = (q.get("search_query", ""), q.get("id_list", ""), q.get("start", "0"), q.get("max_results", ""))
            if key in self.recorded:
                return self.recorded[key]
            for (sq, ids, start, _), reply in self.recorded.items():  # id lookups: any page size
                if ids and (sq, ids, start) == key[:3]:
                    return reply
            if key[1] and key[2] == "0":  # several ids: the recorded entries of each, in one feed
                entries = [e for one in key[1].split(",") for e in self._entries_of(one)]
                return Reply(200, feed_of(entries), {"Content-Type": "application/atom+xml"})
            return Reply(200, empty_feed())
        if parsed.path.startswith("/pdf/"):
            name = parsed.path[len("/pdf/"):]
            if name in self.pdfs:
                return Reply(200, self.pdfs[name], {"Content-Type": "application/pdf"})
            return Reply(404, b"not found")
        if parsed.path.startswith("/feed/"):
            reply = self.feeds.get(parsed.path[len("/feed/"):])
            if reply is None:
                return Reply(404, b"no such feed")
            if reply.headers.get("ETag") and headers.get("If-None-Match") == reply.headers["ETag"]:
                return Reply(304, b"")
            return reply
        return Reply(404, b"not found")

    def _entries_of(self, arxiv_id: str) -> list[bytes]:
        for (_, ids, _, _), reply in self.recorded.items():
            if ids == arxiv_id and reply.status == 200:
                return re.findall(rb"<entry>.*?</entry>", reply.body, re.DOTALL)
        return []

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


# -- generated PDFs ---------------------------------------------------------------------------

LOREM = ("Multimodal models align images and text in a shared space. We study how contrastive "
         "pretraining and cross-attention fusion interact when one modality is missing. ")


def make_paper_pdf(path: Path, *, title: str = "Cross-Modal Fusion Under Missing Modalities",
                   stamp: str | None = "arXiv:2501.00001v2 [cs.CV] 3 Jan 2025", pages: int = 3,
                   sections: tuple[str, ...] = ("1 Introduction", "2 Method", "3 Experiments", "4 Conclusion"),
                   marker: str = "") -> Path:
    """A two-column paper: title, abstract, numbered headings, body text, a figure and a table
    caption, a reference list, and arXiv's vertical stamp in the left margin."""
    import pymupdf

    doc = pymupdf.open()
    width, height = 612, 792
    left = pymupdf.Rect(50, 160, 296, 740)
    right = pymupdf.Rect(316, 72, 562, 740)
    per_page = max(1, len(sections) // pages + 1)
    queue = list(sections)
    for number in range(1, pages + 1):
        page = doc.new_page(width=width, height=height)
        if number == 1:
            page.insert_textbox(pymupdf.Rect(50, 60, 562, 110), title, fontsize=18, fontname="helv",
                                align=pymupdf.TEXT_ALIGN_CENTER)
            page.insert_textbox(pymupdf.Rect(50, 112, 562, 150), "Ada Lovelace, Alan Turing", fontsize=10,
                                align=pymupdf.TEXT_ALIGN_CENTER)
            if stamp:
                page.insert_text((25, 600), stamp, fontsize=14, rotate=90)
            col = _write(page, pymupdf.Rect(left), "Abstract",
                         f"We present {marker} a study of fusion. " + LOREM * 2)
        else:
            col = pymupdf.Rect(50, 72, 296, 740)
        for _ in range(per_page):
            if not queue:
                break
            heading = queue.pop(0)
            col = _write(page, col, heading, (LOREM + f"This is {heading.lower()} {marker}. ") * 3)
        if number == 1:
            page.insert_textbox(pymupdf.Rect(316, 72, 562, 140),
                                "Figure 1: Fusion of image and text features through cross-attention.", fontsize=9)
            _write(page, pymupdf.Rect(316, 150, 562, 740), None, LOREM * 4)
        elif number == pages:
            page.insert_textbox(pymupdf.Rect(316, 72, 562, 110), "Table 1: Accuracy with a missing modality.",
                                fontsize=9)
            _write(page, pymupdf.Rect(316, 120, 562, 740), "References",
                   "[1] A. Radford et al. Learning transferable visual models from natural language supervision. "
                   "In ICML, 2021.\n[2] J. Li et al. BLIP-2. In ICML, 2023.")
        else:
            _write(page, right, None, LOREM * 5)
    doc.save(path)
    doc.close()
    return path


def _write(page: object, rect: object, heading: str | None, text: str) -> object:
    """A heading (bigger, bold) and a paragraph in `rect`; returns the rect below what was written."""
    import pymupdf

    assert isinstance(page, pymupdf.Page) and isinstance(rect, pymupdf.Rect)
    top = rect.y0
    if heading:
        page.insert_text((rect.x0, top + 12), heading, fontsize=12, fontname="hebo")
        top += 22
    lines = max(2, int(len(text) * 5.0 / (rect.width - 4)) + 2)
    bottom = min(rect.y1, top + lines * 12.5)
    page.insert_textbox(pymupdf.Rect(rect.x0, top, rect.x1, bottom), text, fontsize=9.5, fontname="helv")
    return pymupdf.Rect(rect.x0, bottom + 10, rect.x1, rect.y1)


def make_encrypted_pdf(path: Path) -> Path:
    import pymupdf

    make_paper_pdf(path.with_suffix(".plain.pdf"))
    doc = pymupdf.open(path.with_suffix(".plain.pdf"))
    doc.save(path, encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="secret", owner_pw="owner")  # type: ignore[attr-defined]
    doc.close()
    path.with_suffix(".plain.pdf").unlink()
    return path


def make_image_only_pdf(path: Path) -> Path:
    """A 'scanned' page: one image, no text layer."""
    import pymupdf

    doc = pymupdf.open()
    page = doc.new_page()
    pix = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 64, 64), False)
    pix.clear_with(200)
    page.insert_image(pymupdf.Rect(50, 50, 550, 750), pixmap=pix)
    doc.save(path)
    doc.close()
    return path


def make_blank_pdf(path: Path) -> Path:
    """A PDF whose pages carry nothing at all."""
    import pymupdf

    doc = pymupdf.open()
    doc.new_page()
    doc.save(path)
    doc.close()
    return path


def make_corrupt_pdf(path: Path) -> Path:
    """Starts like a PDF, then garbage: what a cut-off download looks like."""
    path.write_bytes(b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n" + bytes(range(256)) * 4)
    return path
