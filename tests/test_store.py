"""The knowledge base's SQLite and vector store, run against embedded Chroma and a Chroma server."""

from __future__ import annotations

from pathlib import Path

import pytest

from kb import papers
from kb.db import Database
from kb.errors import VectorStoreError
from kb.fakes import HashEmbedder
from kb.migrations import MIGRATIONS
from kb.store import KnowledgeBase
from kb.types import Chunk, Paper, TopicAssignment
from kb.vectors import VectorStore


@pytest.fixture(params=["embedded", "server"])
def kb(request: pytest.FixtureRequest, tmp_path: Path) -> KnowledgeBase:
    db = Database(tmp_path / "paperplan.db")
    collection = f"test-{request.node.name}".replace("[", "-").replace("]", "")[:60]
    if request.param == "server":
        url = request.getfixturevalue("chroma_server")
        factory = lambda: VectorStore(url=url, collection=collection)  # noqa: E731
    else:
        factory = lambda: VectorStore(path=tmp_path / "chroma", collection=collection)  # noqa: E731
    return KnowledgeBase(db, HashEmbedder(), factory)


def paper(pid: str = "2502.10816", **kw) -> Paper:  # type: ignore[no-untyped-def]
    return Paper(id=pid, title=kw.pop("title", "BalanceBenchmark"), source="arxiv", **kw)


def chunks(pid: str, texts: list[str], version: int | None = 1, kind: str = "body") -> list[Chunk]:
    return [Chunk(paper_id=pid, seq=i, kind=kind, text=t, section="Method", page_first=i + 1,
                  page_last=i + 1, version=version) for i, t in enumerate(texts)]


def test_upsert_is_new_then_unchanged_and_never_erases_known_fields(kb: KnowledgeBase) -> None:
    assert papers.upsert_paper(kb.db, paper(abstract="Multimodal imbalance.")) == "new"
    assert papers.upsert_paper(kb.db, paper(abstract="Multimodal imbalance.")) == "unchanged"
    # An offline record with no abstract does not wipe the one we have.
    assert papers.upsert_paper(kb.db, paper(abstract="")) == "unchanged"
    assert papers.upsert_paper(kb.db, paper(abstract="Multimodal imbalance.", venue="ACL")) == "updated"
    stored = papers.get_paper(kb.db, "2502.10816")
    assert stored is not None and stored.abstract == "Multimodal imbalance." and stored.venue == "ACL"
    assert kb.db.scalar("SELECT status FROM reading WHERE paper_id = '2502.10816'") == "new"


def test_indexed_chunks_are_found_by_meaning_with_their_pages(kb: KnowledgeBase) -> None:
    papers.upsert_paper(kb.db, paper())
    kb.index_chunks("2502.10816", chunks("2502.10816", [
        "late fusion combines the predictions of unimodal models",
        "the dataset has ten thousand images of cats",
    ]))
    hits = kb.dense_search("how does late fusion combine predictions", k=2)
    assert hits[0].chunk.text.startswith("late fusion")
    assert hits[0].chunk.page_first == 1 and hits[0].title == "BalanceBenchmark"
    assert kb.counts()["vectors"] == kb.counts()["chunks"] == 2


def test_reindexing_a_new_version_replaces_old_chunks(kb: KnowledgeBase) -> None:
    papers.upsert_paper(kb.db, paper())
    kb.index_chunks("2502.10816", chunks("2502.10816", ["a", "b", "c"], version=1))
    kb.index_chunks("2502.10816", chunks("2502.10816", ["a2", "b2"], version=2))
    assert kb.db.scalar("SELECT COUNT(*) FROM chunks") == 2
    assert kb.vectors.all_ids() == {"2502.10816:v2:0", "2502.10816:v2:1"}


def test_reindexing_body_keeps_the_abstract_chunk(kb: KnowledgeBase) -> None:
    papers.upsert_paper(kb.db, paper())
    kb.index_chunks("2502.10816", chunks("2502.10816", ["the abstract"], version=None, kind="abstract"))
    kb.index_chunks("2502.10816", chunks("2502.10816", ["body one", "body two"]))
    kinds = sorted(r[0] for r in kb.db.query("SELECT kind FROM chunks"))
    assert kinds == ["abstract", "body", "body"] and kb.vectors.count() == 3


def test_reconcile_repairs_both_directions_after_a_crash(kb: KnowledgeBase) -> None:
    papers.upsert_paper(kb.db, paper())
    kb.index_chunks("2502.10816", chunks("2502.10816", ["one", "two", "three"]))
    # A crash after the SQLite write but before the vector write:
    kb.vectors.delete(["2502.10816:v1:1"])
    # …and a stray vector whose row was rolled back:
    kb.vectors.upsert(["ghost:v1:0"], HashEmbedder().embed_documents(["ghost"]), [{"paper_id": "ghost"}])
    result = kb.reconcile()
    assert (result.embedded, result.removed) == (1, 1)
    assert kb.vectors.all_ids() == {r[0] for r in kb.db.query("SELECT id FROM chunks")}
    assert kb.reconcile().embedded == 0


def test_scoped_search_by_paper(kb: KnowledgeBase) -> None:
    for pid in ("p1", "p2"):
        papers.upsert_paper(kb.db, paper(pid, title=pid))
        kb.index_chunks(pid, chunks(pid, [f"fusion strategies in {pid}"]))
    hits = kb.dense_search("fusion strategies", k=5, where={"paper_id": "p2"})
    assert [h.chunk.paper_id for h in hits] == ["p2"]


def test_learner_confirmations_survive_remapping(kb: KnowledgeBase) -> None:
    papers.upsert_paper(kb.db, paper())
    papers.set_topic_assignments(kb.db, "2502.10816", [TopicAssignment("2502.10816", 3, 0.9, "user", "", 1)])
    papers.set_topic_assignments(kb.db, "2502.10816", [
        TopicAssignment("2502.10816", 3, 0.5, "embedding"), TopicAssignment("2502.10816", 4, 0.4, "embedding")])
    got = papers.topic_assignments(kb.db, "2502.10816")
    assert [(a.topic, a.method) for a in got] == [(3, "user"), (4, "embedding")]


def test_a_server_that_is_not_there_is_a_named_error() -> None:
    with pytest.raises(VectorStoreError, match=r"cannot open the vector store at http://127.0.0.1:9"):
        VectorStore(url="http://127.0.0.1:9", collection="chunks-test")


def test_migrations_apply_once_and_are_recorded(tmp_path: Path) -> None:
    db = Database(tmp_path / "a.db")
    assert db.migrate() == []
    names = [r[0] for r in db.query("SELECT name FROM _migrations")]
    assert names == [name for name, _ in MIGRATIONS] and db.integrity_ok()
    assert db.scalar("PRAGMA journal_mode") == "wal"


def test_left_out_kinds_are_dropped_with_and_without_a_filter(kb: KnowledgeBase) -> None:
    # The reference list is the nearest match; the answer must still hold k passages of body text.
    papers.upsert_paper(kb.db, paper())
    papers.upsert_paper(kb.db, paper("p2", title="Other"))
    refs = [Chunk("2502.10816", 100 + i, "references", t, section="References", version=1)
            for i, t in enumerate(["zebra fusion gates", "zebra fusion"])]
    kb.index_chunks("2502.10816", refs)
    kb.index_chunks("2502.10816", chunks("2502.10816", ["zebra fusion gates in the method", "cats"]))
    kb.index_chunks("p2", chunks("p2", ["zebra fusion gates again", "dogs"]))
    unfiltered = kb.dense_search("zebra fusion gates", k=3, exclude_kinds=("references",))
    assert len(unfiltered) == 3 and all(p.chunk.kind == "body" for p in unfiltered)
    scoped = kb.dense_search("zebra fusion gates", k=3, where={"paper_id": "2502.10816"}, exclude_kinds=("references",))
    assert [p.chunk.kind for p in scoped] == ["body", "body"]
    assert kb.dense_search("zebra fusion gates", k=1)[0].chunk.kind == "references"  # nothing left out unless asked


# -- sentence windows (kb/windows.py) -------------------------------------------------------


def windowed(kb: KnowledgeBase) -> KnowledgeBase:
    """The same database and collection, with each chunk also embedded as sentence windows."""
    return KnowledgeBase(kb.db, kb.embedder, lambda: kb.vectors, windows_collection=kb.vectors.collection_name + "-w")


FILLER = " ".join(f"Sentence {i} talks about tables, budgets and weather in town {i}." for i in range(12))


def test_one_answering_sentence_in_a_long_chunk_is_found_through_its_window(kb: KnowledgeBase) -> None:
    papers.upsert_paper(kb.db, paper())
    long_chunk = f"{FILLER} Zebra gates fuse audio and video streams. {FILLER}"
    near_miss = "Zebra crossings and audio signals for pedestrians in towns and cities with tables."
    windows = windowed(kb)
    windows.index_chunks("2502.10816", chunks("2502.10816", [long_chunk, near_miss]))
    question = "how do zebra gates fuse audio and video streams"
    assert windows.dense_search(question, k=1)[0].chunk.text == long_chunk
    assert kb.dense_search(question, k=1)[0].chunk.text == near_miss  # compared whole, the long chunk is blurred
    assert len(windows.dense_search(question, k=2)) == 2  # a chunk's many windows count once


def test_a_new_version_replaces_the_old_windows(kb: KnowledgeBase) -> None:
    from kb.windows import chunk_of

    papers.upsert_paper(kb.db, paper())
    windows = windowed(kb)
    windows.index_chunks("2502.10816", chunks("2502.10816", ["A one. B two. C three.", "D four."], version=1))
    windows.index_chunks("2502.10816", chunks("2502.10816", ["E five. F six."], version=2))
    assert windows.windows is not None
    assert {chunk_of(w) for w in windows.windows.all_ids()} == {"2502.10816:v2:0"}


def test_reconcile_adds_windows_to_an_old_kb_and_drops_stray_ones(kb: KnowledgeBase) -> None:
    papers.upsert_paper(kb.db, paper())
    kb.index_chunks("2502.10816", chunks("2502.10816", ["Zebra gates fuse audio. They are cheap.", "Cats."]))
    windows = windowed(kb)  # the KB was made before windows existed
    assert windows.dense_search("zebra gates", k=1)[0].chunk.text.startswith("Zebra")  # whole chunks meanwhile
    fixed = windows.reconcile()
    assert fixed.embedded == 2 and windows.windows is not None and len(windows.windows.all_ids()) == 2
    kb.db.conn.execute("DELETE FROM chunks WHERE seq = 1")  # a chunk gone behind the index's back
    fixed = windows.reconcile()
    assert fixed.removed == 2  # its whole-chunk vector and its window
    assert [p.chunk.seq for p in windows.dense_search("cats", k=5)] == [0]
