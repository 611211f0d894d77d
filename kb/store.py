"""The knowledge base: SQLite (the record) and the vector store (an index of it) kept in step.

SQLite is the source of truth. Chunks are written to SQLite first, in one transaction, and
then embedded into the vector store. A process killed between the two leaves ids that
`reconcile()` finds and repairs on the next start, so the two never disagree for long and
nothing is duplicated (chunk ids are deterministic and the vector write is an upsert).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kb import papers
from kb.db import Database
from kb.embedder import Embedder
from kb.types import Chunk, Passage
from kb.vectors import VectorHit, VectorStore
from kb.windows import chunk_of, sentence_windows, window_id

ProgressFn = Callable[[int, int], None]


@dataclass
class Reconciliation:
    embedded: int  # chunks SQLite had and the vector store lacked (whole, or as sentence windows)
    removed: int  # vectors with no chunk row behind them


class KnowledgeBase:
    def __init__(self, db: Database, embedder: Embedder, vectors_factory: Callable[[], VectorStore],
                 windows_collection: str | None = None) -> None:
        """`windows_collection`: where the sentence windows of each chunk go (kb/windows.py);
        None embeds chunks whole only, and dense search compares whole chunks."""
        self.db = db
        self.embedder = embedder
        self._vectors_factory = vectors_factory
        self._vectors: VectorStore | None = None
        self._windows_collection = windows_collection
        self._windows: VectorStore | None = None
        self._windows_filled = False  # known to hold windows (else dense search checks, then falls back)

    @property
    def vectors(self) -> VectorStore:
        """Opened on first use: opening Chroma costs time that status-only commands need not pay."""
        if self._vectors is None:
            self._vectors = self._vectors_factory()
        return self._vectors

    @property
    def windows(self) -> VectorStore | None:
        if self._windows is None and self._windows_collection:
            self._windows = self.vectors.sibling(self._windows_collection)
        return self._windows

    # -- writing ---------------------------------------------------------------------------

    def index_chunks(self, paper_id: str, chunks: list[Chunk], progress: ProgressFn | None = None) -> int:
        """Make `chunks` the paper's chunks of their kinds, in SQLite and in the vectors."""
        return self.index_many({paper_id: chunks}, progress)

    def index_many(self, chunks_by_paper: Mapping[str, list[Chunk]], progress: ProgressFn | None = None) -> int:
        """`index_chunks` for many papers at once: one SQLite transaction and full embedding
        batches (embedding a few hundred abstracts one by one is several times slower)."""
        removed: list[str] = []
        with self.db.transaction():
            for paper_id, chunks in chunks_by_paper.items():
                if chunks:
                    removed += papers.replace_chunks(self.db, paper_id, chunks)[1]
        self._delete_vectors(removed)
        every = [c for chunks in chunks_by_paper.values() for c in chunks]
        self._embed_and_upsert(every, progress)
        return len(every)

    def _embed_and_upsert(self, chunks: Sequence[Chunk], progress: ProgressFn | None = None,
                          batch: int = 256, whole: bool = True) -> None:
        for start in range(0, len(chunks), batch):
            part = chunks[start:start + batch]
            if whole:
                vectors = self.embedder.embed_documents([_embedding_text(c) for c in part])
                self.vectors.upsert([c.id for c in part], vectors, [_metadata(c) for c in part])
            self._embed_windows(part)
            if progress:
                progress(min(start + batch, len(chunks)), len(chunks))

    def _embed_windows(self, chunks: Sequence[Chunk]) -> None:
        store = self.windows
        if store is None or not chunks:
            return
        ids, texts, metadatas = [], [], []
        for chunk in chunks:
            for n, text in enumerate(window_texts(chunk)):
                ids.append(window_id(chunk.id, n))
                texts.append(text)
                metadatas.append({"chunk_id": chunk.id, "paper_id": chunk.paper_id, "kind": chunk.kind})
        store.upsert(ids, self.embedder.embed_documents(texts), metadatas)
        self._windows_filled = True

    def _delete_vectors(self, chunk_ids: Sequence[str]) -> None:
        self.vectors.delete(chunk_ids)
        if chunk_ids and self.windows is not None:
            self.windows.delete_where({"chunk_id": {"$in": list(chunk_ids)}})

    def delete_paper_chunks(self, paper_id: str, kinds: Sequence[str]) -> None:
        with self.db.transaction() as conn:
            marks = ",".join("?" * len(kinds))
            ids = [r[0] for r in conn.execute(
                f"SELECT id FROM chunks WHERE paper_id = ? AND kind IN ({marks})", (paper_id, *kinds))]
            conn.execute(f"DELETE FROM chunks WHERE paper_id = ? AND kind IN ({marks})", (paper_id, *kinds))
        self._delete_vectors(ids)

    def reconcile(self) -> Reconciliation:
        """Bring the vector store in line with SQLite after a crash or an interrupted run."""
        in_db = {r[0] for r in self.db.query("SELECT id FROM chunks")}
        in_vectors = self.vectors.all_ids()
        extra = sorted(in_vectors - in_db)
        self.vectors.delete(extra)
        missing = sorted(in_db - in_vectors)
        if missing:
            chunks = papers.get_chunks(self.db, missing)
            self._embed_and_upsert([chunks[i] for i in missing if i in chunks])
        # The windows: a chunk embedded whole but killed before its windows, or a KB made
        # before windows existed, gets them now; windows of a chunk that is gone go.
        if self.windows is not None:
            window_ids = self.windows.all_ids()
            stray = sorted(w for w in window_ids if chunk_of(w) not in in_db)
            self.windows.delete(stray)
            extra += stray
            windowed = {chunk_of(w) for w in window_ids}
            unwindowed = sorted(in_db - windowed - set(missing))
            if unwindowed:
                chunks = papers.get_chunks(self.db, unwindowed)
                self._embed_and_upsert([chunks[i] for i in unwindowed if i in chunks], whole=False)
                missing += unwindowed
        return Reconciliation(embedded=len(missing), removed=len(extra))

    # -- reading ---------------------------------------------------------------------------

    def dense_search(self, query: str, k: int = 10, where: dict[str, Any] | None = None,
                     exclude_kinds: Sequence[str] = ()) -> list[Passage]:
        """The `k` chunks nearest `query`, optionally filtered by metadata (`where`) and with
        chunks of `exclude_kinds` left out.

        Unfiltered, the kinds are dropped after the query instead of by a Chroma filter: any
        metadata filter makes Chroma scan every record's metadata (400 ms at 100k chunks
        against 15 ms without), while the kinds left out (reference lists) are a small share,
        so fetching twice as many nearest neighbours and dropping them costs next to nothing.
        """
        vector = self.embedder.embed_query(query)
        store, by_window = self._dense_store()
        fetch = 2 * k if by_window else k  # a chunk's windows crowd the nearest: fetch more, keep its best
        if where is None and exclude_kinds:
            hits = [h for h in store.query(vector, 2 * fetch) if h.metadata.get("kind") not in exclude_kinds]
        else:
            if exclude_kinds:
                kinds: dict[str, Any] = {"kind": {"$nin": list(exclude_kinds)}}
                where = kinds if where is None else {"$and": [kinds, where]}
            hits = store.query(vector, fetch, where)
        if by_window:  # hits come nearest first, so a chunk's first window is its best
            best: dict[str, VectorHit] = {}
            for h in hits:
                cid = h.metadata.get("chunk_id") or chunk_of(h.id)
                best.setdefault(cid, VectorHit(cid, h.score, h.metadata))
            hits = list(best.values())
        hits = hits[:k]
        chunks = papers.get_chunks(self.db, [h.id for h in hits])
        titles = self._titles({c.paper_id for c in chunks.values()})
        return [Passage(chunks[h.id], titles.get(chunks[h.id].paper_id, ""), h.score)
                for h in hits if h.id in chunks]

    def _dense_store(self) -> tuple[VectorStore, bool]:
        """The windows when there are any, else the whole-chunk vectors (a KB made before
        windows existed, until `reconcile` adds them)."""
        if self.windows is not None and (self._windows_filled or self.windows.count() > 0):
            self._windows_filled = True
            return self.windows, True
        return self.vectors, False

    def _titles(self, paper_ids: set[str]) -> dict[str, str]:
        if not paper_ids:
            return {}
        ids = sorted(paper_ids)
        rows = self.db.query(f"SELECT id, title FROM papers WHERE id IN ({','.join('?' * len(ids))})", tuple(ids))
        return {r["id"]: r["title"] for r in rows}

    def counts(self, with_vectors: bool = True) -> dict[str, Any]:
        by_source = {r[0]: r[1] for r in self.db.query("SELECT source, COUNT(*) FROM papers GROUP BY source")}
        counts: dict[str, Any] = {
            "papers": sum(by_source.values()),
            "papers_by_source": by_source,
            "chunks": self.db.scalar("SELECT COUNT(*) FROM chunks"),
            "fulltext_papers": self.db.scalar("SELECT COUNT(*) FROM papers WHERE fulltext = 'indexed'"),
            "topics_covered": self.db.scalar("SELECT COUNT(DISTINCT topic) FROM paper_topics WHERE confirmed >= 0"),
            "topics": self.db.scalar("SELECT COUNT(*) FROM topics"),
            "notes": self.db.scalar("SELECT COUNT(*) FROM notes"),
            "cards": self.db.scalar("SELECT COUNT(*) FROM cards"),
            "reviews": self.db.scalar("SELECT COUNT(*) FROM reviews"),
        }
        if with_vectors:
            counts["vectors"] = self.vectors.count()
        return counts


def _section_prefix(chunk: Chunk) -> str:
    # The section heading gives a short passage its context ("Method: we fuse …").
    return f"{chunk.section}: " if chunk.section and chunk.kind == "body" else ""


def _embedding_text(chunk: Chunk) -> str:
    return _section_prefix(chunk) + chunk.text


def window_texts(chunk: Chunk) -> list[str]:
    """What each sentence window of `chunk` is embedded as (with the section, like the chunk)."""
    return [_section_prefix(chunk) + window for window in sentence_windows(chunk.text)]


def _metadata(chunk: Chunk) -> dict[str, Any]:
    return {"paper_id": chunk.paper_id, "kind": chunk.kind, "section": chunk.section,
            "page_first": chunk.page_first, "page_last": chunk.page_last, "version": chunk.version}


def open_database(data_dir: Path) -> Database:
    return Database(data_dir / "paperplan.db")
