"""Topic mapping logic, on a real SQLite KB with the hash embedder (fast, deterministic)."""

from __future__ import annotations

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from agent.llm import LLM
from agent.topics import Exemplar, TopicError, TopicMapper, load_exemplars
from kb import papers
from kb.types import Paper
from paperplan.wiring import Services

EXEMPLARS = [
    Exemplar("Denoising Diffusion Probabilistic Models", 6),
    Exemplar("High-Resolution Image Synthesis with Latent Diffusion Models", 6),
    Exemplar("FaceForensics++: Learning to Detect Manipulated Facial Images", 8),
    Exemplar("LoRA: Low-Rank Adaptation of Large Language Models", 10),
    Exemplar("Visual Instruction Tuning", 5),
]


def add(svc: Services, paper_id: str, title: str, abstract: str = "") -> None:
    papers.upsert_paper(svc.db, Paper(id=paper_id, title=title, source="arxiv", abstract=abstract))


@pytest.fixture
def mapper(services: Services) -> TopicMapper:
    papers.sync_topics(services.db, services.plan)
    return TopicMapper(services.kb, services.plan, None, exemplars=EXEMPLARS)


def test_map_and_store_keeps_one_to_three_topics_with_scores_and_reasons(services: Services,
                                                                         mapper: TopicMapper) -> None:
    add(services, "2006.11239", "Denoising Diffusion Probabilistic Models for image synthesis")
    result = mapper.map_and_store(["2006.11239"])
    stored = papers.topic_assignments(services.db, "2006.11239")
    assert 1 <= len(stored) <= 3
    assert stored[0].topic == 6 and result["2006.11239"][0].topic == 6
    assert all(0.0 <= a.score <= 1.0 and a.reason and a.method == "embedding" for a in stored)


def test_remapping_keeps_the_learners_confirmation(services: Services, mapper: TopicMapper) -> None:
    add(services, "p1", "Denoising Diffusion Probabilistic Models")
    mapper.confirm("p1", 9)
    mapper.map_and_store(["p1"])
    stored = {a.topic: a for a in papers.topic_assignments(services.db, "p1")}
    assert stored[9].confirmed == 1 and stored[9].method == "user"


def test_a_correction_rejects_the_wrong_topic_and_teaches_the_profile(services: Services,
                                                                      mapper: TopicMapper) -> None:
    add(services, "p2", "Segment Anything in Medical Images")
    mapper.map_and_store(["p2"])
    wrong = papers.topic_assignments(services.db, "p2")[0].topic
    right = 9 if wrong != 9 else 2
    mapper.correct("p2", wrong, right)
    mapper.map_and_store(["p2"])
    topics = [a.topic for a in papers.topic_assignments(services.db, "p2")]
    assert topics[0] == right and wrong not in topics
    assert any(t.kind == "confirmed" and t.topic == right for t in mapper.profile_texts())


def test_classify_writes_nothing_and_answers_best_first(services: Services, mapper: TopicMapper) -> None:
    out = list(mapper.classify([{"id": "x", "title": "Low-Rank Adaptation of Large Language Models"},
                                {"id": "y", "title": "Detecting manipulated facial images"}]))
    assert [o["id"] for o in out] == ["x", "y"]
    assert out[0]["topics"][0]["topic"] == 10
    scores = [t["score"] for t in out[0]["topics"]]
    assert scores == sorted(scores, reverse=True)
    assert services.db.scalar("SELECT COUNT(*) FROM paper_topics") == 0


def test_unknown_paper_and_topic_are_named(services: Services, mapper: TopicMapper) -> None:
    with pytest.raises(TopicError, match="nope"):
        mapper.map_and_store(["nope"])
    add(services, "p3", "Visual Instruction Tuning")
    with pytest.raises(TopicError, match="topic 99"):
        mapper.confirm("p3", 99)


def test_relevance_is_the_best_score(services: Services, mapper: TopicMapper) -> None:
    add(services, "p4", "Visual Instruction Tuning")
    relevance = mapper.relevance(["p4"])
    assert relevance["p4"] == mapper.rank("Visual Instruction Tuning")[0].score
    assert 0.0 <= relevance["p4"] <= 1.0


def test_a_capable_llm_only_reorders_the_candidates(services: Services) -> None:
    ranked = TopicMapper(services.kb, services.plan, None, exemplars=EXEMPLARS).rank("Visual Instruction Tuning")
    second = ranked[1].topic
    outside = ranked[-1].topic
    chat = FakeListChatModel(responses=[f'{{"topics": [{outside}, {second}], "reason": "it tunes on instructions"}}'])
    llm = LLM(chat, provider="fake", model="fake", capable=True)
    mapper = TopicMapper(services.kb, services.plan, llm, exemplars=EXEMPLARS)
    add(services, "p5", "Visual Instruction Tuning")
    stored = mapper.map_and_store(["p5"])["p5"]
    # The topic outside the candidates (a paper could try to steer there) is dropped.
    assert [a.topic for a in stored] == [second]
    assert stored[0].method == "llm" and stored[0].reason == "it tunes on instructions"


def test_a_failing_llm_falls_back_to_the_embedding_ranking(services: Services) -> None:
    chat = FakeListChatModel(responses=["no json here", "still none"])
    llm = LLM(chat, provider="fake", model="fake", capable=True)
    mapper = TopicMapper(services.kb, services.plan, llm, exemplars=EXEMPLARS)
    add(services, "p6", "Denoising Diffusion Probabilistic Models")
    stored = mapper.map_and_store(["p6"])["p6"]
    assert stored[0].method == "embedding" and stored[0].topic == 6


def test_bad_exemplar_file_names_the_line(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "x.exemplars.jsonl"
    path.write_text('{"title": "A", "topic": 1}\n{"title": "B"}\n', encoding="utf-8")
    with pytest.raises(TopicError, match="line 2"):
        load_exemplars(path)
    path.write_text('{"title": "A", "topic": 13}\n', encoding="utf-8")
    with pytest.raises(TopicError, match="topic 13"):
        load_exemplars(path, range(1, 13))
