"""End to end with the real parts: the bundled sentence-transformers model, embedded Chroma,
the real topic mapper, the real arxiv client against recorded answers, a real arXiv PDF (two pages of LayoutParser)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from kb import papers
from paperplan.commands.ingest import run_add, run_ingest
from paperplan.paths import DataPaths
from paperplan.settings import IngestSettings, Settings
from paperplan.wiring import build_services
from tests.conftest import free_port, shared_pdf
from tests.ingest_helpers import LocalServer, make_paper_pdf


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LocalServer]:
    s = LocalServer()
    s.pdfs["1605.08386v1"] = make_paper_pdf(tmp_path / "hb.pdf", title="Heat Bath Random Walks",
                                            marker="markov basis sampling", pages=2,
                                            sections=("1 Introduction", "2 Method")).read_bytes()
    yield s
    s.close()


def test_ingest_and_add_with_the_real_embedder(server: LocalServer, data_paths: DataPaths) -> None:
    layout = shared_pdf("2103.15348_layoutparser_2pages.pdf")  # small: the suite runs on 2 cores
    ingest = IngestSettings(arxiv_api_url=f"{server.url}/api/query", arxiv_pdf_url=f"{server.url}/pdf/",
                            request_interval_s=0.0, allowed_pdf_hosts=["127.0.0.1"], max_retries=0, feeds=[])
    svc = build_services(Settings(ingest=ingest), data_paths)
    papers.sync_topics(svc.db, svc.plan)
    report = run_ingest(svc, ids=["1605.08386"])
    assert report.to_json()["new"] == ["1605.08386"] and report.failed == []
    assert svc.embedder.name == "all-minilm-l6-v2"

    # Offline for the metadata: the PDF's own title and its arXiv stamp are enough.
    svc.settings.ingest.arxiv_api_url = f"http://127.0.0.1:{free_port()}/api/query"
    del svc.__dict__["ingestor"]
    added = run_add(svc, [layout])
    [item] = added.added
    assert item["id"] == "2103.15348" and item["title"].startswith("LayoutParser") and item["pages"] == 2

    hits = svc.kb.dense_search("a toolkit for deep learning based document image analysis", k=3)
    assert hits[0].chunk.paper_id == "2103.15348"
    assert papers.topic_assignments(svc.db, "2103.15348")  # mapped to the plan's topics on the way in
    in_db = {r[0] for r in svc.db.query("SELECT id FROM chunks")}
    assert svc.kb.vectors.all_ids() == in_db
    svc.db.close()
