"""`make bench` — retrieval latency at 10k and 100k synthetic chunks, next to a raw Chroma
query in the same run, and the latency of one answer by the configured (embedded) LLM.

Synthetic chunks: ~120 words drawn from a Zipf-distributed vocabulary (so BM25 sees a
realistic term distribution), stored in SQLite like real chunks, with random unit vectors in
Chroma (one per chunk, and four sentence windows per chunk in the windows collection that
dense search reads, as real chunks have) (embedding 100k passages with the real model would take most of an hour on 2 cores;
the query is still embedded by the real model). Set PAPERPLAN_BENCH_RETRIEVAL_SIZES to
change the sizes (e.g. "10000"), PAPERPLAN_BENCH_ANSWER=0 to skip the LLM answer.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

QUERIES = [
    "How does late fusion combine modality predictions?",
    "reading order detection for scanned forms",
    "contrastive image text pretraining objective",
    "Which reward does the crawler receive for new papers?",
    "多模态融合的注意力机制",
    "position embeddings for variable length sequences",
    "knowledge distillation of vision transformers",
    "hallucination in multimodal large language models",
    "Which reward does the crawler receive in Synthetic paper 17?",  # names a paper: the third BM25 list
]
WINDOWS_PER_CHUNK = 4  # measured on the fixture PDFs: 884 windows for 210 chunks
# Each query this many times per size, after one warm-up pass: 90 timings per size. With 3
# (27 timings) the p95 was the second-slowest query, and two runs an hour apart on the same
# code read 47.2 and 34.6 ms at 100k (1.62x and 1.39x).
REPEATS = 10


def _percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def _vocabulary(rng: np.random.Generator, size: int = 8000) -> list[str]:
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    words = {"".join(rng.choice(letters, rng.integers(3, 10))) for _ in range(size * 2)}
    real = ["fusion", "modality", "attention", "transformer", "retrieval", "crawler", "reward", "reading", "order", "position", "embedding", "contrastive", "pretraining", "distillation", "hallucination", "language", "model", "image", "text", "video", "audio", "layout", "document", "dataset", "benchmark", "recall", "precision", "agent", "selector"]
    return real + sorted(words)[:size]


def fill(svc: Any, first: int, end: int, rng: np.random.Generator) -> None:
    """Insert synthetic chunks number `first` to `end` - 1 (papers of 50 chunks each) into
    SQLite and Chroma."""
    from kb.db import utc_now
    from kb.windows import window_id

    vocab = _vocabulary(np.random.default_rng(7))  # the same words at every size
    weights = 1.0 / np.arange(1, len(vocab) + 1) ** 1.1
    weights /= weights.sum()
    per_paper = 50
    now = utc_now()
    batch = 2000
    for start in range(first, end, batch):
        ids, rows, papers_rows = [], [], []
        for i in range(start, min(start + batch, end)):
            paper = f"syn.{i // per_paper:05d}"
            if i % per_paper == 0:
                papers_rows.append((paper, f"Synthetic paper {i // per_paper}", now, now))
            words = rng.choice(len(vocab), 120, p=weights)
            text = " ".join(vocab[w] for w in words)
            cid = f"{paper}:v0:{i % per_paper}"
            ids.append(cid)
            rows.append((cid, paper, None, i % per_paper, "body", "Method", 1 + i % 9, 1 + i % 9, text))
        with svc.db.transaction() as conn:
            conn.executemany("INSERT INTO papers (id, title, source, added_at, updated_at)"
                             " VALUES (?, ?, 'local', ?, ?)", papers_rows)
            conn.executemany("INSERT INTO chunks (id, paper_id, version, seq, kind, section, page_first, page_last,"
                             " text) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        vectors = rng.standard_normal((len(ids), svc.embedder.dim)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        svc.kb.vectors.upsert(ids, vectors, [{"paper_id": r[1], "kind": "body"} for r in rows])
        # Dense search reads the sentence windows: a real 1000-character chunk has about four.
        windows = rng.standard_normal((len(ids) * WINDOWS_PER_CHUNK, svc.embedder.dim)).astype(np.float32)
        windows /= np.linalg.norm(windows, axis=1, keepdims=True)
        svc.kb.windows.upsert([window_id(c, n) for c in ids for n in range(WINDOWS_PER_CHUNK)], windows,
                              [{"chunk_id": r[0], "paper_id": r[1], "kind": "body"} for r in rows
                               for _ in range(WINDOWS_PER_CHUNK)])
        print(f"  {min(start + batch, end)}/{end} synthetic chunks", file=sys.stderr, flush=True)


def measure(svc: Any, size: int) -> list[dict[str, Any]]:
    retriever = svc.retriever
    started = time.perf_counter()
    retriever.lexical.current()
    build_s = time.perf_counter() - started
    # A new process: the index comes from the on-disk cache instead of being rebuilt.
    from kb.retrieval import LexicalIndex

    started = time.perf_counter()
    LexicalIndex(svc.db, retriever.lexical.cache_dir).current()
    load_s = time.perf_counter() - started

    vectors = {q: svc.embedder.embed_query(retriever.english_query(q)) for q in QUERIES}
    for q in QUERIES:  # warm-up: Chroma's HNSW pages, the model, numpy
        retriever.search(q, k=8)
        svc.kb.vectors.query(vectors[q], 8)
    raw, raw_windows, embed_raw, hybrid = [], [], [], []
    for _ in range(REPEATS):
        for q in QUERIES:
            t0 = time.perf_counter()
            svc.kb.vectors.query(vectors[q], 8)
            raw.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            svc.kb.windows.query(vectors[q], 8)
            raw_windows.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            svc.kb.vectors.query(svc.embedder.embed_query(retriever.english_query(q)), 8)
            embed_raw.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            retriever.search(q, k=8)
            hybrid.append(time.perf_counter() - t0)
    ms = 1000.0
    p95, raw95, embed95 = _percentile(hybrid, 95) * ms, _percentile(raw, 95) * ms, _percentile(embed_raw, 95) * ms
    label = f"{size // 1000}k"
    rows = [
        {"metric": f"hybrid retrieval p50 @{label}", "value": round(statistics.median(hybrid) * ms, 1), "unit": "ms",
         "goal": "", "ok": None, "note": "embed query + Chroma + BM25 + fusion + SQLite"},
        {"metric": f"hybrid retrieval p95 @{label}", "value": round(p95, 1), "unit": "ms",
         "goal": "≤ 50" if size >= 100_000 else "", "ok": (p95 <= 50) if size >= 100_000 else None, "note": ""},
        {"metric": f"raw Chroma query p95 @{label}", "value": round(raw95, 1), "unit": "ms", "goal": "", "ok": None,
         "note": "precomputed query vector"},
        {"metric": f"raw Chroma query of the windows p95 @{label}", "value": round(_percentile(raw_windows, 95) * ms, 1),
         "unit": "ms", "goal": "", "ok": None, "note": f"{WINDOWS_PER_CHUNK} windows per chunk"},
        {"metric": f"embed + raw Chroma query p95 @{label}", "value": round(embed95, 1), "unit": "ms", "goal": "",
         "ok": None, "note": "what any text query must pay"},
        {"metric": f"hybrid / (embed + raw Chroma) p95 @{label}", "value": round(p95 / embed95, 2), "unit": "×",
         "goal": "≤ 1.5", "ok": p95 / embed95 <= 1.5, "note": f"vs raw Chroma alone: {p95 / raw95:.1f}×"},
        {"metric": f"keyword index build @{label}", "value": round(build_s, 1), "unit": "s", "goal": "", "ok": None,
         "note": "first search after the chunks change"},
        {"metric": f"keyword index load from cache @{label}", "value": round(load_s, 2), "unit": "s", "goal": "",
         "ok": None, "note": "first search in a new process"},
    ]
    return rows


def answer_latency(svc: Any) -> list[dict[str, Any]]:
    """One answer over five real-sized passages: time to first token and to the end."""
    from agent.ask import Asker
    from kb.retrieval import Hit

    hits = [Hit(p) for p in svc.retriever.search(QUERIES[0], k=5)]
    llm = svc.llm
    asker = Asker(svc.retriever, lambda: llm)
    system, user = asker._system_prompt("en"), asker._user_prompt(QUERIES[0], hits, ())
    started = time.perf_counter()
    first = None
    text = ""
    for piece in llm.stream(system, user):
        first = first or time.perf_counter() - started
        text += piece
    total = time.perf_counter() - started
    return [
        {"metric": "answer time to first token", "value": round(first or total, 1), "unit": "s", "goal": "",
         "ok": None, "note": f"{llm.name}, 5 passages; the first call includes loading the model"},
        {"metric": "answer total", "value": round(total, 1), "unit": "s", "goal": "", "ok": None,
         "note": f"{len(text)} characters"},
    ]


def run() -> list[dict[str, Any]]:
    from paperplan.paths import DataPaths
    from paperplan.settings import Settings
    from paperplan.wiring import build_services

    sizes = [int(s) for s in os.environ.get("PAPERPLAN_BENCH_RETRIEVAL_SIZES", "10000,100000").split(",")]
    rng = np.random.default_rng(7)
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="paperplan-bench-retrieval-") as tmp:
        os.environ["PAPERPLAN_HOME"] = tmp
        svc = build_services(Settings(), DataPaths(Path(tmp) / "data"))
        have = 0
        for size in sorted(sizes):
            fill_start = time.perf_counter()
            fill(svc, have, size, rng)
            have = size
            print(f"  filled to {size} in {time.perf_counter() - fill_start:.0f} s", file=sys.stderr)
            rows += measure(svc, size)
        if os.environ.get("PAPERPLAN_BENCH_ANSWER", "1") != "0":
            try:
                rows += answer_latency(svc)
            except Exception as exc:  # no model here: say so instead of failing the whole bench
                rows.append({"metric": "answer total", "value": None, "unit": "s", "goal": "", "ok": None,
                             "note": f"no LLM: {exc}"})
        svc.db.close()
    return rows


if __name__ == "__main__":
    for row in run():
        print(row)
