"""Sentence windows: the short texts each chunk is also embedded as, for dense search.

Why: the default embedder (all-MiniLM-L6-v2) was trained on sentence pairs, and a
1000-character chunk embedded whole blurs the one sentence that answers a question. So each
chunk is also embedded as overlapping windows of two sentences, and a chunk's dense score is
its best window's. BM25 still scores whole chunks. Chosen on the dev questions of `make eval`
(dense-only recall@5 11 → 16 of 20; windows of 1 and 3 sentences did worse), then measured
once on the held-out sets (hybrid recall@5 unseen 17 → 18 of 20, unseen2 17 → 20 of 24).
"""

from __future__ import annotations

import re

WINDOW_SENTENCES = 2
# A sentence ends at . ! ? followed by a space and a capital, digit or bracket (so "e.g. the"
# and "Fig. 3a" mostly stay whole), or at Chinese end punctuation.
SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(\[])|(?<=[。！？])")
WINDOW_SEPARATOR = "#"  # window ids are <chunk id>#<n>


def sentence_windows(text: str, size: int = WINDOW_SENTENCES) -> list[str]:
    """Overlapping runs of `size` sentences of `text` (whitespace folded); a text of `size`
    sentences or fewer is one window."""
    flat = re.sub(r"\s+", " ", text).strip()
    sentences = [s.strip() for s in SENTENCE_BREAK.split(flat) if s and s.strip()] or [flat]
    return [" ".join(sentences[i:i + size]) for i in range(max(1, len(sentences) - size + 1))]


def window_id(chunk_id: str, n: int) -> str:
    return f"{chunk_id}{WINDOW_SEPARATOR}{n}"


def chunk_of(window: str) -> str:
    return window.rsplit(WINDOW_SEPARATOR, 1)[0]
