"""Shared by the reliability tests and the `make reliability` runner: a scripted local HTTP
server (127.0.0.1 only, bounded in requests and time) and generated PDFs of every bad kind.

Nothing here reaches the internet.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.ingest_helpers import make_blank_pdf, make_encrypted_pdf, make_image_only_pdf

# Slow end-to-end proofs (many subprocesses, a Chroma server) run in `make reliability`,
# which sets RELIABILITY_FULL=1; `make test` keeps the fast ones.
full_only = pytest.mark.skipif(os.environ.get("RELIABILITY_FULL") != "1",
                               reason="slow end-to-end proof: runs in `make reliability`")

SHARED_ATOM = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "arxiv_atom"

# A minimal arXiv Atom answer for one paper (the shape of export.arxiv.org's).
ATOM_TEMPLATE = """<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/"
      xmlns:arxiv="http://arxiv.org/schemas/atom">
  <title>arXiv Query</title>
  <id>http://arxiv.org/api/x</id>
  <updated>2025-01-01T00:00:00-05:00</updated>
  <opensearch:totalResults>{total}</opensearch:totalResults>
  <opensearch:startIndex>0</opensearch:startIndex>
  <opensearch:itemsPerPage>{total}</opensearch:itemsPerPage>
  {entries}
</feed>
"""
ENTRY_TEMPLATE = """<entry>
    <id>http://arxiv.org/abs/{id}v{version}</id>
    <updated>2025-01-02T00:00:00Z</updated>
    <published>{published}</published>
    <title>{title}</title>
    <summary>{summary}</summary>
    <author><name>Ada Lovelace</name></author>
    <arxiv:comment>Accepted at CVPR 2025</arxiv:comment>
    <link href="https://arxiv.org/abs/{id}v{version}" rel="alternate" type="text/html"/>
    <link title="pdf" href="{pdf}" rel="related" type="application/pdf"/>
    <arxiv:primary_category term="cs.CV" scheme="http://arxiv.org/schemas/atom"/>
    <category term="cs.CV" scheme="http://arxiv.org/schemas/atom"/>
  </entry>"""


def atom_entry(paper_id: str = "2501.00001", title: str = "A test paper", summary: str = "An abstract.",
               version: int = 1, published: str = "2025-01-01T00:00:00Z", pdf: str = "") -> str:
    return ENTRY_TEMPLATE.format(id=paper_id, version=version, title=title, summary=summary, published=published,
                                 pdf=pdf or f"https://arxiv.org/pdf/{paper_id}v{version}")


def atom_feed(*entries: str) -> bytes:
    return ATOM_TEMPLATE.format(total=len(entries), entries="\n".join(entries)).encode()


# -- the scripted server ----------------------------------------------------------------------

@dataclass
class Reply:
    """One scripted answer. kind: ok | status | stall (answers nothing for stall_s) | cut (the
    headers promise more bytes than are sent) | stream (no Content-Length: the body ends when
    the connection closes)."""

    kind: str = "ok"
    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    stall_s: float = 0.0
    answer: Callable[[bytes], tuple[int, dict[str, str], bytes]] | None = None  # request body → reply


@dataclass
class ServerLog:
    paths: list[str] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    bodies: list[bytes] = field(default_factory=list)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def scripted_server(replies: list[Reply] | dict[str, list[Reply]], *, max_requests: int = 60,
                    max_seconds: float = 60.0) -> Iterator[tuple[str, ServerLog]]:
    """Serve `replies` in order (per path when a dict; the last one repeats) on 127.0.0.1.

    The loop stops by itself after `max_requests` requests or `max_seconds`, whichever first.
    Yields (base URL, log of request paths and headers).
    """
    log = ServerLog()
    lock = threading.Lock()
    # A dict is used as it is (the caller may fill it once the URL is known); its lists are consumed.
    queues: dict[str, list[Reply]] = replies if isinstance(replies, dict) else {"": list(replies)}

    def next_reply(path: str) -> Reply:
        key = next((k for k in queues if k and path.startswith(k)), "")
        queue = queues.get(key) or [Reply("status", status=404)]
        with lock:
            return queue.pop(0) if len(queue) > 1 else queue[0]

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:  # quiet
            pass

        def do_GET(self) -> None:
            log.paths.append(self.path)
            log.headers.append(dict(self.headers))
            reply = next_reply(self.path)
            with suppress(BrokenPipeError, ConnectionResetError):
                self._answer(reply)

        do_POST = do_GET

        def _answer(self, reply: Reply) -> None:
            body = b""
            if self.command == "POST":
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                log.bodies.append(body)
            if reply.answer is not None:
                status, headers, data = reply.answer(body)
                reply = Reply("ok", data, status=status, headers=headers)
            if reply.kind == "stall":
                time.sleep(min(reply.stall_s, max_seconds))
                self.close_connection = True
                return
            self.send_response(reply.status)
            for k, v in reply.headers.items():
                self.send_header(k, v)
            if reply.kind == "cut":
                self.send_header("Content-Length", str(len(reply.body) * 2 + 100))
                self.end_headers()
                self.wfile.write(reply.body)
                self.wfile.flush()
                self.close_connection = True
                return
            if reply.kind == "stream":
                self.send_header("Connection", "close")
                self.end_headers()
                for start in range(0, len(reply.body), 65536):
                    self.wfile.write(reply.body[start:start + 65536])
                self.close_connection = True
                return
            if "Content-Length" not in reply.headers:
                self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    server.daemon_threads = True
    server.timeout = 0.1
    stop = threading.Event()
    deadline = time.monotonic() + max_seconds

    def loop() -> None:
        while not stop.is_set() and len(log.paths) < max_requests and time.monotonic() < deadline:
            server.handle_request()

    thread = threading.Thread(target=loop, daemon=True, name="scripted-server")
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", log
    finally:
        stop.set()
        thread.join(5)
        server.server_close()


# -- PDFs ---------------------------------------------------------------------------------------

BODY = ("Multimodal models align images and text with a contrastive objective. The encoder maps both "
        "modalities into one space where matching pairs lie close together. ")


def text_pdf(path: Path, title: str = "A Generated Paper", paragraphs: int = 6, seed: int = 0,
             padding: int = 0) -> Path:
    """A small text PDF with a title, an abstract and numbered sections (distinct per seed);
    `padding` bytes of incompressible attachment make it as big as wanted."""
    import pymupdf

    doc = pymupdf.open()
    page = doc.new_page()
    y = 72.0
    page.insert_text((72, y), f"{title} {seed}", fontsize=18)
    y += 36
    sections = ["Abstract", "1 Introduction", "2 Method", "3 Experiments", "4 Conclusion"]
    for i in range(paragraphs):
        if i < len(sections):
            page.insert_text((72, y), sections[i], fontsize=13)
            y += 20
        text = f"{BODY} Paragraph {i} of document {seed} discusses token {seed * 100 + i}."
        rect = pymupdf.Rect(72, y, 540, y + 80)
        page.insert_textbox(rect, text, fontsize=10)
        y += 90
        if y > 700:
            page = doc.new_page()
            y = 72.0
    if padding:
        import random

        doc.embfile_add("padding.bin", random.Random(seed).randbytes(padding))
    doc.save(path)
    doc.close()
    return path


# The bad-PDF makers are the ingestion tests' own: one generator per kind of broken file.
encrypted_pdf = make_encrypted_pdf
image_only_pdf = make_image_only_pdf
blank_pdf = make_blank_pdf


def corrupt_pdf(path: Path, good: Path) -> Path:
    """The magic bytes of a PDF followed by garbage (and a cut-off copy of a real one)."""
    data = good.read_bytes()
    path.write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 8 + data[len(data) // 3: len(data) // 2])
    return path


def hanging_pdf(path: Path, depth: int = 9, fanout: int = 10) -> Path:
    """A tiny, valid PDF whose one page takes the parser practically forever: each form
    XObject draws the next one `fanout` times, `depth` levels deep (fanout**depth path
    operations, in constant memory). A pathological file of the kind the time limit is for."""
    objects: list[bytes] = []

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    catalog = add(b"")  # filled in below
    pages = add(b"")
    leaf = add(b"<< /Type /XObject /Subtype /Form /BBox [0 0 10 10] /Length 14 >>\nstream\n0 0 1 1 re f\n\nendstream")
    current = leaf
    for _ in range(depth):
        content = b"".join(b"/X Do\n" for _ in range(fanout))
        current = add(b"<< /Type /XObject /Subtype /Form /BBox [0 0 10 10] /Resources << /XObject << /X %d 0 R >> >>"
                      b" /Length %d >>\nstream\n%s\nendstream" % (current, len(content) + 1, content))
    page_content = b"/X Do\n"
    contents = add(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(page_content), page_content))
    page = add(b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 612 792] /Contents %d 0 R"
               b" /Resources << /XObject << /X %d 0 R >> >> >>" % (pages, contents, current))
    objects[catalog - 1] = b"<< /Type /Catalog /Pages %d 0 R >>" % pages
    objects[pages - 1] = b"<< /Type /Pages /Kids [%d 0 R] /Count 1 >>" % page
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, catalog, xref)
    path.write_bytes(bytes(out))
    return path
