"""Related-work drafts: only read papers and notes, every citation resolving to a passage."""

from __future__ import annotations

import json

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from typer.testing import CliRunner

from agent.draft import DraftError, DraftOutput, RelatedWorkDrafter, assemble
from agent.llm import LLM
from kb import papers
from kb.notes import NotesVault
from kb.types import Chunk, Paper, TopicAssignment
from paperplan import cli
from paperplan.wiring import Services

LATE = "Late fusion combines the predictions of unimodal models at the decision level."
XATTN = "Cross-attention lets text tokens attend to image patches inside every transformer layer."
GATED = "Gated fusion learns a scalar gate that mixes audio and video features per frame."


def add(svc: Services, paper_id: str, title: str, text: str, *, read: bool, topic: int = 3) -> None:
    author = {"2401.00001": "Ada Smith", "2402.00002": "Bo Jones"}.get(paper_id, "Cy Young")
    papers.upsert_paper(svc.db, Paper(id=paper_id, title=title, source="arxiv", authors=[author],
                                      published="2024-05-01", primary_category="cs.CV"))
    svc.kb.index_chunks(paper_id, [Chunk(paper_id, 1, "body", text, section="Method", page_first=3, page_last=3)])
    papers.set_topic_assignments(svc.db, paper_id, [TopicAssignment(paper_id, topic, 0.9, "user", "", 1)])
    if read:
        papers.set_reading_status(svc.db, paper_id, "read")


@pytest.fixture
def seeded(services: Services) -> Services:
    papers.sync_topics(services.db, services.plan)
    add(services, "2401.00001", "Latefusion survey", LATE, read=True)
    add(services, "2402.00002", "Crossattention models", XATTN, read=True)
    add(services, "2403.00003", "Gated fusion", GATED, read=False)  # not read: never a source
    NotesVault(services.paths.notes, services.kb).save(
        "topic-3", "My view: late fusion is robust when one modality is missing.", "")
    return services


def fake_llm(answer: dict) -> LLM:
    return LLM(FakeListChatModel(responses=[json.dumps(answer)]), provider="fake", model="fake", capable=False)


def numbers_by_paper(drafter: RelatedWorkDrafter, query: str, topic: int | None = 3) -> dict[str, int]:
    hits = drafter.retrieve(query, topic)
    return {h.passage.chunk.paper_id: n for n, h in enumerate(hits, 1)}


def test_every_citation_resolves_and_invented_ones_are_dropped(seeded: Services) -> None:
    drafter = RelatedWorkDrafter(seeded.retriever, lambda: llm)
    query = "late fusion cross-attention gated fusion of modalities"
    n = numbers_by_paper(drafter, query)
    assert "2403.00003" not in n, "an unread paper is never a source"
    assert set(n) >= {"2401.00001", "2402.00002", "topic-3"}
    llm = fake_llm({"claims": [
        {"text": "Late fusion combines the predictions of unimodal models.", "passages": [n["2401.00001"]]},
        {"text": "Cross-attention lets text tokens attend to image patches.", "passages": [n["2402.00002"], 9]},
        {"text": "Fusion was first described in 1850.", "passages": [42]},
        {"text": "Quantum chromodynamics explains gluon confinement.", "passages": [n["2401.00001"]]},
        {"text": "Late fusion is robust when a modality is missing.", "passages": [n["topic-3"]]},
    ]})

    draft = drafter.draft("Multimodal fusion", query, topic=3)

    sources = {s.citation.n: s for s in draft.sources}
    assert len(draft.sentences) == 3
    for sentence in draft.sentences:
        assert sentence.citations and all(c in sources for c in sentence.citations)
    for s in draft.sources:  # the quote is a real substring of the passage it cites
        assert s.citation.quote.rstrip("…") in (LATE + XATTN + "My view: late fusion is robust when one modality is missing.")
    reasons = {(d["passage"], d["reason"]) for d in draft.dropped}
    assert (9, "no such passage") in reasons and (42, "no such passage") in reasons
    assert any("Quantum" in d["claim"] for d in draft.dropped)

    md = draft.markdown()
    keys = {s.key for s in draft.sources if s.key}
    assert keys == {"smith2024latefusion", "jones2024crossattention"}
    for key in keys:
        assert f"\\cite{{{key}}}" in md and f"@misc{{{key}," in md
    assert "eprint = {2401.00001}" in md and "archivePrefix = {arXiv}" in md
    assert "(own note: topic-3)" in md and "1850" not in md and "Quantum" not in md
    assert "[9]" not in draft.markdown("numeric") and "[1]" in draft.markdown("numeric")


def test_nothing_read_is_a_clear_error(services: Services) -> None:
    papers.sync_topics(services.db, services.plan)
    add(services, "2403.00003", "Gated fusion", GATED, read=False)
    drafter = RelatedWorkDrafter(services.retriever, lambda: pytest.fail("no model call without sources"))
    with pytest.raises(DraftError, match="no read paper or note"):
        drafter.draft("gated fusion", "gated fusion", topic=None)


def test_a_draft_with_no_surviving_claim_says_nothing_cited(seeded: Services) -> None:
    hits = RelatedWorkDrafter(seeded.retriever, lambda: None).retrieve("late fusion", 3)
    draft = assemble("x", DraftOutput.model_validate({"claims": [{"text": "Made up.", "passages": [77]}]}),
                     hits, seeded.db)
    assert draft.sentences == [] and draft.sources == [] and draft.bibtex == []


@pytest.fixture
def cli_services(seeded: Services, monkeypatch: pytest.MonkeyPatch) -> Services:
    monkeypatch.setattr(cli, "services", lambda: seeded)
    return seeded


def test_cli_related_work_json_for_an_idea(cli_services: Services) -> None:
    n = numbers_by_paper(cli_services.drafter, "robust late fusion", topic=None)
    cli_services.__dict__["llm"] = fake_llm({"claims": [
        {"text": "Late fusion combines unimodal predictions.", "passages": [n["2401.00001"]]}]})

    result = CliRunner().invoke(cli.app, ["draft", "related-work", "--idea", "robust late fusion", "--json"])

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["sentences"][0]["citations"] == [1]
    assert report["sources"][0]["paper_id"] == "2401.00001"
    assert "@misc{smith2024latefusion," in report["bibtex"] and "\\cite{smith2024latefusion}" in report["markdown"]


def test_cli_related_work_needs_exactly_one_subject(cli_services: Services) -> None:
    result = CliRunner().invoke(cli.app, ["draft", "related-work", "--topic", "3", "--idea", "x"])
    assert result.exit_code == 1 and "one of --topic or --idea" in result.stderr
    result = CliRunner().invoke(cli.app, ["draft", "related-work", "--topic", "99"])
    assert result.exit_code == 1 and "no topic 99" in result.stderr
