"""Against the real embedded model (Qwen2.5-Coder-1.5B-Instruct via llama.cpp). Few and short."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from agent.llm import LLM
from agent.providers import build_llm
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


def test_adjudication_keeps_unambiguous_papers_on_their_topic(services: Services, embedded: LLM) -> None:
    papers.sync_topics(services.db, services.plan)
    embedded.capable = True  # force the adjudication path the embedded model normally skips
    try:
        mapper = TopicMapper(services.kb, services.plan, embedded)
        # One short call: on 2 busy cores each adjudication takes tens of seconds.
        out = list(mapper.classify([{"id": "ff", "title": "FaceForensics++: Learning to Detect Manipulated Facial Images"}]))
    finally:
        embedded.capable = False
    assert out[0]["topics"][0]["topic"] == 8
