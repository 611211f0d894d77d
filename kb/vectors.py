"""The vector store: the only module that imports chromadb.

Embedded `PersistentClient` in the data dir by default, or a Chroma server when a URL is
given. We always pass our own embeddings; Chroma's default embedding function (which
downloads a model) is never created.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np

from kb.errors import VectorStoreError

Vectors = Sequence[Sequence[float]] | np.ndarray
Vector = Sequence[float] | np.ndarray

log = logging.getLogger(__name__)


@dataclass
class VectorHit:
    id: str
    score: float  # cosine similarity, higher is better
    metadata: dict[str, Any]


class VectorStore:
    """One Chroma collection of chunk embeddings, named after the embedder.

    The collection name carries the embedding model, so switching the embedder in config
    starts a fresh collection instead of mixing vectors of two models.
    """

    def __init__(self, *, path: Path | None = None, url: str = "", collection: str) -> None:
        import chromadb  # deferred: chromadb is heavy and `paperplan --help` must not wait for it
        from chromadb.config import Settings

        self.location = url or str(path)
        settings = Settings(anonymized_telemetry=False, allow_reset=False)
        try:
            if url:
                parsed = urlparse(url)
                self._client = chromadb.HttpClient(
                    host=parsed.hostname or "localhost", port=parsed.port or 8000,
                    ssl=parsed.scheme == "https", settings=settings,
                )
            else:
                assert path is not None
                path.mkdir(parents=True, exist_ok=True)
                self._client = chromadb.PersistentClient(path=str(path), settings=settings)
        except Exception as exc:  # chromadb raises many types; the user needs one message
            raise VectorStoreError(f"cannot open the vector store at {self.location}: {exc}") from exc
        self._open(collection)

    def _open(self, collection: str) -> None:
        try:
            self._collection = self._client.get_or_create_collection(
                name=collection, embedding_function=None, metadata={"hnsw:space": "cosine"},
            )
        except Exception as exc:  # chromadb raises many types; the user needs one message
            raise VectorStoreError(
                f"cannot open the vector store at {self.location} (collection {collection}): {exc}") from exc
        self.collection_name = collection

    def _call(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except Exception as exc:
            raise VectorStoreError(f"vector store {self.location}: {what} failed: {exc}") from exc

    def upsert(self, ids: Sequence[str], embeddings: Vectors,
               metadatas: Sequence[dict[str, Any]]) -> None:
        if not ids:
            return
        batch = 1000  # well under Chroma's max batch size
        for start in range(0, len(ids), batch):
            end = start + batch
            self._call("upsert", self._collection.upsert, ids=list(ids[start:end]),
                       embeddings=[list(map(float, e)) for e in embeddings[start:end]],
                       metadatas=[_clean(m) for m in metadatas[start:end]])

    def delete(self, ids: Sequence[str]) -> None:
        if ids:
            self._call("delete", self._collection.delete, ids=list(ids))

    def delete_where(self, where: dict[str, Any]) -> None:
        self._call("delete", self._collection.delete, where=where)

    def sibling(self, collection: str) -> VectorStore:
        """Another collection on the same client (one Chroma client per path per process)."""
        other = copy.copy(self)
        other._open(collection)
        return other

    def delete_paper(self, paper_id: str) -> None:
        self._call("delete", self._collection.delete, where={"paper_id": paper_id})

    def query(self, embedding: Vector, k: int, where: dict[str, Any] | None = None) -> list[VectorHit]:
        # No count() guard first: Chroma answers an empty collection with empty lists, and
        # counting costs ~10 ms at 100k records on every question.
        result = self._call("query", self._collection.query, query_embeddings=[list(map(float, embedding))],
                            n_results=k, where=where or None, include=["metadatas", "distances"])
        ids = result["ids"][0]
        distances = result["distances"][0] if result.get("distances") else [0.0] * len(ids)
        metadatas = result["metadatas"][0] if result.get("metadatas") else [{}] * len(ids)
        return [VectorHit(i, 1.0 - float(d), dict(m or {})) for i, d, m in zip(ids, distances, metadatas, strict=True)]

    def get_embeddings(self, ids: Sequence[str]) -> dict[str, list[float]]:
        if not ids:
            return {}
        result = self._call("get", self._collection.get, ids=list(ids), include=["embeddings"])
        return {i: list(e) for i, e in zip(result["ids"], result["embeddings"], strict=True)}

    def all_ids(self) -> set[str]:
        ids: set[str] = set()
        offset, page = 0, 5000
        while True:
            got = self._call("get", self._collection.get, include=[], limit=page, offset=offset)["ids"]
            ids.update(got)
            if len(got) < page:
                return ids
            offset += page

    def count(self) -> int:
        return int(self._call("count", self._collection.count))


def _clean(metadata: dict[str, Any]) -> dict[str, Any]:
    """Chroma metadata values must be str, int, float or bool: drop the Nones."""
    return {k: v for k, v in metadata.items() if v is not None}
