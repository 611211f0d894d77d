"""Against the real embedded model (Qwen2.5-Coder-1.5B-Instruct via llama.cpp). Few and short."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from agent.llm import LLM, LLMTimeout
from agent.providers import LlamaCppChat, build_llm, load_model
from agent.topics import TopicMapper
from kb import papers
from paperplan.commands.llm import run_llm_check
from paperplan.paths import cache_dir
from paperplan.settings import Settings
from paperplan.wiring import Services, provider_config

pytestmark = pytest.mark.llm


@pytest.fixture(scope="module")
def embedded() -> Iterator[LLM]:
    """One load for the module; the model file is assembled once into the shared cache dir."""
    config = provider_config(Settings())
    assert config.cache_dir == cache_dir()
    yield build_llm(config)


def test_llm_check_gets_schema_valid_output_from_the_embedded_model(embedded: LLM) -> None:
    report = run_llm_check(embedded)  # a grammar-constrained call validated against a pydantic schema
    assert report["provider"] == "embedded" and report["structured_output"] == "ok"
    assert report["load_s"] is not None and report["tokens_per_s"]


def test_adjudication_by_the_embedded_model_stays_within_the_candidates(services: Services, embedded: LLM) -> None:
    """Forced schema + candidate list: whatever the small model thinks, the answer is one of
    the embedding's top candidates, stored with method `llm` and a reason. (Its choice among
    them is not accurate enough to be on by default: `capable` is False for it.)"""
    from kb.embedder import make_embedder
    from kb.types import Paper as KbPaper

    services.embedder_override = make_embedder("all-minilm-l6-v2")
    papers.sync_topics(services.db, services.plan)
    title = "FaceForensics++: Learning to Detect Manipulated Facial Images"
    papers.upsert_paper(services.db, KbPaper(id="1901.08971", title=title, source="arxiv"))
    candidates = {s.topic for s in TopicMapper(services.kb, services.plan, None).rank(title)[:4]}
    embedded.capable = True  # force the adjudication path the embedded model normally skips
    try:
        stored = TopicMapper(services.kb, services.plan, embedded).map_and_store(["1901.08971"])["1901.08971"]
    finally:
        embedded.capable = False
    assert stored and {a.topic for a in stored} <= candidates
    assert stored[0].method == "llm" and stored[0].reason


def test_embedded_defaults_map_without_loading_the_model(services: Services) -> None:
    """With provider = embedded the mapper does not use the LLM, so ingestion never waits for it."""
    assert services.settings.llm.provider == "embedded"
    assert services.topic_mapper.llm is None
    assert "llm" not in services.__dict__


def test_a_long_prompt_is_stopped_at_the_timeout_and_the_model_answers_the_next_call(embedded: LLM) -> None:
    """The limit holds while llama.cpp evaluates the prompt, not only between generated tokens:
    ~3,500 prompt tokens take far longer than 2 s to evaluate on a 2-core machine (the old
    behaviour raised only after all of them), yet the timeout comes within a few seconds of
    the limit. The aborted evaluation leaves nothing behind: the next call answers."""
    chat = embedded.chat
    assert isinstance(chat, LlamaCppChat)
    load_model(embedded)  # the load is not part of a call's time limit
    sentence = "Diffusion models learn to reverse a gradual noising process, step by step. "
    long_text = sentence * 220
    limit = chat.timeout_s
    chat.timeout_s = 2.0
    try:
        started = time.monotonic()
        with pytest.raises(LLMTimeout, match=r"embedded:qwen.* timed out: no answer within 2 s"):
            embedded.complete("Summarise the text in one sentence.", long_text)
        elapsed = time.monotonic() - started
    finally:
        chat.timeout_s = limit
    assert elapsed < 2.0 + 10.0, f"the 2 s limit took {elapsed:.1f} s"
    answer = embedded.complete("Answer with one word.", "Is the sky blue on a clear day? Yes or no?")
    assert "yes" in answer.lower()
