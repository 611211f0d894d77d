"""`make bench` section: ingest throughput end to end against the raw embedder.

Abstracts/s: 100 recorded arXiv entries served from 127.0.0.1 (no politeness delay), parsed
by the real arxiv client, upserted into SQLite and embedded into embedded Chroma with the
real model (each chunk whole and as its sentence windows, kb/windows.py). PDF pages/s: the real arXiv PDFs in ../shared (or generated papers when absent)
through `add_pdfs`: parse in the worker, chunk, SQLite, embed, Chroma. Each is set against
the raw embedder's throughput on exactly the texts the pipeline embedded, measured in the
same run. Goal: the pipeline reaches at least 0.85 of the raw embedder.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

GOAL = 0.85
REPEATS = 2  # best of two: the machine is shared, the minimum is the least disturbed


def _row(metric: str, value: float, unit: str, goal: str = "", ok: bool | None = None, note: str = "") -> dict:
    return {"metric": metric, "value": round(value, 3), "unit": unit, "goal": goal, "ok": ok, "note": note}


def _services(root: Path, server_url: str, embedder: Any) -> Any:
    from paperplan.paths import DataPaths
    from paperplan.settings import IngestSettings, Settings
    from paperplan.wiring import build_services
    from tests.conftest import free_port

    ingest = IngestSettings(arxiv_api_url=f"http://127.0.0.1:{free_port()}/api/query" if not server_url
                            else f"{server_url}/api/query", request_interval_s=0.0, max_retries=0, page_size=100,
                            allowed_pdf_hosts=["127.0.0.1"], feeds=[])
    return build_services(Settings(ingest=ingest), DataPaths(root), embedder=embedder)


def _embedded_texts(svc: Any) -> list[str]:
    from kb import papers
    from kb.store import _embedding_text, window_texts

    ids = [r[0] for r in svc.db.query("SELECT id FROM chunks ORDER BY id")]
    chunks = papers.get_chunks(svc.db, ids)
    # Each chunk whole, and its sentence windows (what dense search compares).
    return [_embedding_text(chunks[i]) for i in ids] + [t for i in ids for t in window_texts(chunks[i])]


def _raw_seconds(embedder: Any, texts: list[str]) -> float:
    started = time.perf_counter()
    for start in range(0, len(texts), 256):  # the same batches the KB uses
        embedder.embed_documents(texts[start:start + 256])
    return time.perf_counter() - started


def _best_of(make_services: Callable[[int], Any], embedder: Any, work: Callable[[Any], Any]) -> tuple[float, float, Any]:
    """(pipeline seconds, raw embedder seconds on the texts it embedded, work's result), best of REPEATS."""
    best_pipe, best_raw, result = float("inf"), float("inf"), None
    for attempt in range(REPEATS):
        svc = make_services(attempt)
        svc.kb.vectors.count()  # open Chroma before the clock starts, as a running app has
        started = time.perf_counter()
        with svc.ingestor as ing:
            result = work(ing)
        best_pipe = min(best_pipe, time.perf_counter() - started)
        best_raw = min(best_raw, _raw_seconds(embedder, _embedded_texts(svc)))
        svc.db.close()
    return best_pipe, best_raw, result


def _pdfs(tmp: Path) -> tuple[list[Path], str]:
    shared = Path(__file__).resolve().parent.parent.parent / "shared" / "fixtures" / "pdf"
    found = sorted(shared.glob("*.pdf"))
    if found:
        return found, f"the {len(found)} real arXiv PDFs in ../shared"
    from tests.ingest_helpers import make_paper_pdf

    made = [make_paper_pdf(tmp / f"gen{i}.pdf", title=f"Generated Paper {i}", stamp=None, pages=4,
                           marker=f"paper{i}") for i in range(6)]
    return made, "6 generated 4-page papers (../shared is absent)"


def run() -> list[dict]:
    from kb.embedder import make_embedder
    from tests.ingest_helpers import LocalServer

    embedder = make_embedder("all-minilm-l6-v2")
    embedder.embed_documents(["warm up the model once, outside every timing"])
    rows: list[dict] = []
    server = LocalServer()
    try:
        with tempfile.TemporaryDirectory() as tmp_name:
            tmp = Path(tmp_name)
            # -- abstracts ------------------------------------------------------------------
            pipe, raw, report = _best_of(lambda i: _services(tmp / f"abs{i}", server.url, embedder), embedder,
                                         lambda ing: ing.ingest_query("testing", 100))
            count = len(report.new)
            rows += [
                _row("abstracts/s end to end", count / pipe, "1/s",
                     note=f"{count} recorded arXiv entries: fetch from 127.0.0.1, parse, SQLite, embed, Chroma"),
                _row("abstracts/s raw embedder", count / raw, "1/s", note="the same texts, same batches"),
                _row("abstracts: pipeline / raw embedder", raw / pipe, "ratio", f"≥ {GOAL}", raw / pipe >= GOAL),
            ]
            # -- PDFs -----------------------------------------------------------------------
            files, what = _pdfs(tmp)
            pipe, raw, added = _best_of(lambda i: _services(tmp / f"pdf{i}", "", embedder), embedder,
                                        lambda ing: ing.add_pdfs(files))
            pages = sum(a["pages"] for a in added.added)
            passages = sum(a["chunks"] for a in added.added)
            rows += [
                _row("PDF pages/s end to end", pages / pipe, "1/s",
                     note=f"{what}, {pages} pages, {passages} passages: parse, chunk, SQLite, embed, Chroma"),
                _row("PDF pages/s raw embedder", pages / raw, "1/s", note="the same passages, same batches"),
                _row("PDFs: pipeline / raw embedder", raw / pipe, "ratio", f"≥ {GOAL}", raw / pipe >= GOAL),
            ]
    finally:
        server.close()
    return rows
