"""The real embedded model makes cards from a real abstract (slow: marked `llm`)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from agent.quiz import CardJob, generate_cards
from kb import cards, papers
from kb.fakes import HashEmbedder
from kb.snapshot import abstract_chunk, paper_from_record, snapshot_records
from paperplan.paths import DataPaths
from paperplan.settings import LlmSettings, Settings
from paperplan.wiring import Services, build_services

pytestmark = pytest.mark.llm


@pytest.fixture
def services(data_paths: DataPaths) -> Iterator[Services]:
    """Like conftest's, with room for a 2-core machine under load: a slow answer is not a wrong one."""
    svc = build_services(Settings(llm=LlmSettings(timeout_s=600)), data_paths, embedder=HashEmbedder())
    yield svc
    if "db" in svc.__dict__:
        svc.db.close()


TAXONOMY = "1705.09406"  # "Multimodal Machine Learning: A Survey and Taxonomy", real abstract in the snapshot


def seeded_chunk(svc: Services, arxiv_id: str):  # type: ignore[no-untyped-def]
    record = snapshot_records()[arxiv_id]
    paper = paper_from_record(record, plan_resource=True)
    papers.upsert_paper(svc.db, paper)
    chunk = abstract_chunk(paper)
    papers.replace_chunks(svc.db, paper.id, [chunk])
    return chunk


def test_real_model_cloze_card_is_grounded_in_the_abstract(services: Services) -> None:
    chunk = seeded_chunk(services, TAXONOMY)
    report = generate_cards(services.kb, services.llm, [CardJob(chunk, "cloze", None, "paper")])
    stored = cards.list_cards(services.db)
    assert stored, f"the embedded model made no usable cloze card from a real abstract: {report.to_dict()}"
    [card] = stored
    assert card.source_quote and card.source_quote in chunk.text and card.chunk_id == chunk.id
    assert "_____" in card.question and card.answer.lower() in card.source_quote.lower()


def test_quiz_generate_json_with_the_real_model(services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    """Multiple choice is the hardest form for a small model: stored checked, or dropped with reasons."""
    from typer.testing import CliRunner

    from paperplan import cli

    seeded_chunk(services, TAXONOMY)
    monkeypatch.setattr(cli, "services", lambda: services)
    result = CliRunner().invoke(cli.app, ["quiz", "generate", "--paper", TAXONOMY, "--count", "1", "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    summary = document["summary"]
    assert len(document["cards"]) + len(summary["dropped"]) == 1
    for card in document["cards"]:
        assert card["type"] == "mcq" and len(set(card["options"])) == 4 and card["answer"] in card["options"]
        assert card["source_quote"] in services.db.scalar("SELECT text FROM chunks WHERE paper_id = ?", (TAXONOMY,))
    for dropped in summary["dropped"]:
        assert dropped["reasons"] and all(dropped["reasons"])
