"""The related-work draft with the real embedded model: its citations all resolve."""

from __future__ import annotations

import re

import pytest

from paperplan.wiring import Services
from tests.test_draft import LATE, XATTN, add


@pytest.mark.llm
def test_embedded_model_drafts_with_resolving_citations(services: Services) -> None:
    from kb import papers

    papers.sync_topics(services.db, services.plan)
    add(services, "2401.00001", "Latefusion survey", LATE, read=True)
    add(services, "2402.00002", "Crossattention models", XATTN, read=True)

    draft = services.drafter.draft("Multimodal fusion", "late fusion and cross-attention", topic=3, k=2)

    assert draft.sentences, f"the model kept no claim; dropped: {draft.dropped}"
    numbers = {s.citation.n for s in draft.sources}
    assert all(c in numbers for s in draft.sentences for c in s.citations)
    md = draft.markdown()
    keys = {e.key for e in draft.bibtex}
    cited = {k for m in re.finditer(r"\\cite\{([^}]*)\}", md) for k in m.group(1).split(",")}
    assert cited and cited <= keys
    assert "archivePrefix = {arXiv}" in md
