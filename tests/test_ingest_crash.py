"""Crash safety: an ingest process SIGKILLed at several points, then run again, leaves no
duplicates and SQLite and Chroma agree — and the KB is the same as after an uninterrupted run."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from kb.fakes import HashEmbedder
from paperplan.commands.ingest import run_ingest
from paperplan.paths import DataPaths
from paperplan.settings import IngestSettings, Settings
from paperplan.wiring import Services, build_services
from tests.conftest import REPO
from tests.ingest_helpers import LocalServer, make_paper_pdf

IDS = ["1605.08386", "1707.08567"]
QUERY = "testing"

CHILD = textwrap.dedent("""
    import os, signal, sys
    from pathlib import Path

    point, root, url = sys.argv[1:4]
    sys.path.insert(0, os.getcwd())
    from tests.test_ingest_crash import services_at, run, arm
    arm(point)
    run(services_at(Path(root), url))
    print("finished", flush=True)
""")


def services_at(root: Path, url: str) -> Services:
    ingest = IngestSettings(arxiv_api_url=f"{url}/api/query", arxiv_pdf_url=f"{url}/pdf/", request_interval_s=0.0,
                            allowed_pdf_hosts=["127.0.0.1"], max_retries=0, timeout_s=5.0, page_size=10, feeds=[])
    return build_services(Settings(ingest=ingest), DataPaths(root), embedder=HashEmbedder())


class _NoMapping:
    def map_and_store(self, paper_ids: Sequence[str]) -> dict:
        return {}

    def relevance(self, paper_ids: Sequence[str]) -> dict[str, float]:
        return {}


def run(svc: Services) -> None:
    run_ingest(svc, ids=IDS, query=QUERY, max_results=20, mapper=_NoMapping())


def arm(point: str) -> None:
    """In the child: SIGKILL ourselves at `point` (no cleanup, no finally blocks: a real crash)."""
    import os

    from kb import papers
    from kb.store import KnowledgeBase
    from kb.vectors import VectorStore

    def die() -> None:
        os.kill(os.getpid(), signal.SIGKILL)

    calls = {"n": 0}
    if point == "mid_metadata":  # some papers committed, the rest not
        original_upsert = papers.upsert_paper

        def upsert(db, paper):  # type: ignore[no-untyped-def]
            outcome = original_upsert(db, paper)
            calls["n"] += 1
            if calls["n"] == 5:
                die()
            return outcome

        papers.upsert_paper = upsert  # type: ignore[assignment]
    elif point == "after_sqlite_before_vectors":  # chunks in SQLite, not yet embedded
        def embed_and_upsert(self, chunks, progress=None, batch=256):  # type: ignore[no-untyped-def]
            calls["n"] += 1
            if calls["n"] == 2:
                die()
            return original_embed(self, chunks, progress, batch)

        original_embed = KnowledgeBase._embed_and_upsert
        KnowledgeBase._embed_and_upsert = embed_and_upsert  # type: ignore[method-assign]
    elif point == "mid_vectors":  # half of a batch of vectors written
        original_vec = VectorStore.upsert

        def vec_upsert(self, ids, embeddings, metadatas):  # type: ignore[no-untyped-def]
            calls["n"] += 1
            if calls["n"] == 2:
                half = len(ids) // 2
                original_vec(self, ids[:half], embeddings[:half], metadatas[:half])
                die()
            return original_vec(self, ids, embeddings, metadatas)

        VectorStore.upsert = vec_upsert  # type: ignore[method-assign]
    elif point == "mid_download":  # a half-written .part file in pdfs/
        import ingest.pdf

        def replace(src, dst):  # type: ignore[no-untyped-def]
            die()

        ingest.pdf.os.replace = replace  # type: ignore[assignment]
    elif point == "before_indexed_state":  # chunks and vectors in, the paper still 'pending'
        original_state = papers.set_fulltext_state

        def set_state(db, paper_id, state, error=""):  # type: ignore[no-untyped-def]
            if state == "indexed":
                die()
            return original_state(db, paper_id, state, error)

        papers.set_fulltext_state = set_state  # type: ignore[assignment]
    else:
        raise SystemExit(f"unknown kill point {point}")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    s = LocalServer()
    tmp = tmp_path_factory.mktemp("crash-pdfs")
    s.pdfs["1605.08386v1"] = make_paper_pdf(tmp / "a.pdf", title="Heat Bath Random Walks").read_bytes()
    s.pdfs["1707.08567v1"] = make_paper_pdf(tmp / "b.pdf", title="Information Theory Workshop", stamp=None,
                                            pages=4).read_bytes()
    yield s
    s.close()


def snapshot(svc: Services) -> dict[str, object]:
    db = svc.db
    return {
        "papers": db.scalar("SELECT COUNT(*) FROM papers"),
        "chunks": sorted(r[0] for r in db.query("SELECT id FROM chunks")),
        "fulltext": sorted(tuple(r) for r in db.query("SELECT id, fulltext FROM papers WHERE fulltext != 'none'")),
    }


def check_consistent(svc: Services) -> None:
    in_db = {r[0] for r in svc.db.query("SELECT id FROM chunks")}
    assert svc.kb.vectors.all_ids() == in_db, "SQLite and Chroma disagree"
    assert svc.kb.vectors.count() == len(in_db)
    assert svc.db.query("SELECT paper_id FROM chunks WHERE kind = 'abstract' GROUP BY paper_id"
                        " HAVING COUNT(*) > 1") == []
    assert not list(svc.paths.pdfs.glob(".*.part")), "a half-written download was left behind"


@pytest.fixture(scope="module")
def reference(server: LocalServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    svc = services_at(tmp_path_factory.mktemp("reference") / "data", server.url)
    run(svc)
    check_consistent(svc)
    result = snapshot(svc)
    svc.db.close()
    return result


@pytest.mark.parametrize("point", ["mid_metadata", "after_sqlite_before_vectors", "mid_vectors", "mid_download",
                                   "before_indexed_state"])
def test_killed_run_is_completed_by_the_next(point: str, server: LocalServer, reference: dict[str, object],
                                             tmp_path: Path) -> None:
    root = tmp_path / "data"
    child = subprocess.run([sys.executable, "-c", CHILD, point, str(root), server.url], cwd=REPO,
                           capture_output=True, text=True, timeout=300)
    assert child.returncode == -signal.SIGKILL, f"the child was not killed at {point}: {child.stderr[-2000:]}"
    assert "finished" not in child.stdout

    svc = services_at(root, server.url)
    run(svc)
    check_consistent(svc)
    assert snapshot(svc) == reference
    assert all(state == "indexed" for _, state in snapshot(svc)["fulltext"])  # type: ignore[union-attr]
    svc.db.close()
