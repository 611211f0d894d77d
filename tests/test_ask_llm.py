"""Ask with the real embedded model (slow: marked `llm`). One short question, checked the way
the learner would check it: an answer, and every citation a passage that was retrieved."""

from __future__ import annotations

import pytest

from paperplan.wiring import Services
from tests.test_retrieval import seed

pytestmark = pytest.mark.llm


def test_real_model_answers_with_citations_that_resolve(services: Services) -> None:
    seed(services)
    streamed: list[str] = []
    answer = services.asker.ask("What is late fusion?", k=3, on_text=streamed.append)
    assert answer.answer.strip() and "".join(streamed).strip()
    if answer.refused:  # a small model may say the passages do not answer: then it must cite nothing
        assert answer.citations == []
        return
    assert answer.citations, answer.answer
    for citation in answer.citations:
        passage = answer.passages[citation.n - 1]
        assert citation.paper_id == passage.chunk.paper_id
        assert citation.quote.rstrip("…") in passage.chunk.text
    assert "[citation removed]" not in answer.answer or answer.removed_citations
