"""Frontier watch: new papers close to the learner's notes and up-rated papers are flagged."""

from __future__ import annotations

from agent.frontier import frontier_flags, frontier_section
from kb import papers
from kb.snapshot import abstract_chunk
from kb.types import Paper
from paperplan.wiring import Services

LIPS = "lip reading transformer for audio visual speech recognition in noisy rooms"
PRUNE = "pruning vision transformer tokens to speed up inference on small devices"


def add(svc: Services, paper_id: str, title: str, abstract: str, status: str = "new") -> None:
    paper = Paper(id=paper_id, title=title, source="arxiv", abstract=abstract)
    papers.upsert_paper(svc.db, paper)
    svc.kb.index_chunks(paper_id, [abstract_chunk(paper)])
    if status != "new":
        papers.set_reading_status(svc.db, paper_id, status)


def test_new_papers_near_notes_and_liked_papers_are_flagged_with_the_note(services: Services) -> None:
    papers.sync_topics(services.db, services.plan)
    add(services, "2301.00001", "Lip reading at scale", LIPS, status="read")
    papers.set_rating(services.db, "2301.00001", "up")
    add(services, "2302.00002", "Token merging", "merging similar tokens in vision transformers", status="read")
    services.notes.save("2302.00002", f"My idea: {PRUNE}.", "")
    add(services, "2511.00003", "Noisy-room lip reading", f"A {LIPS} benchmark")
    add(services, "2511.00004", "[Tiny ViTs](http://evil.example) prune", f"We study {PRUNE}")
    add(services, "2511.00005", "Protein folding", "diffusion models fold proteins from sequence alone")
    add(services, "2511.00006", "Dismissed lip work", LIPS, status="dismissed")

    flags = frontier_flags(services.kb, "2000-01-01")

    by_paper = {f.paper_id: f for f in flags}
    assert set(by_paper) == {"2511.00003", "2511.00004"}, "unrelated, dismissed and anchor papers are not flagged"
    assert by_paper["2511.00003"].related_id == "2301.00001" and "rated up" in by_paper["2511.00003"].why
    assert by_paper["2511.00004"].related_id == "2302.00002"
    assert "My idea: pruning vision transformer tokens" in by_paper["2511.00004"].note_excerpt
    assert "your note on Token merging" in by_paper["2511.00004"].why
    assert flags == sorted(flags, key=lambda f: -f.similarity)

    heading, body = frontier_section(flags)
    assert heading == "Frontier watch" and "> your note: My idea" in body
    assert "[Tiny ViTs](http" not in body and "\\[Tiny ViTs\\](http" in body, "a title cannot inject a link"


def test_nothing_to_watch_without_notes_or_ratings(services: Services) -> None:
    add(services, "2511.00003", "Noisy-room lip reading", LIPS)
    assert frontier_flags(services.kb, "2000-01-01") == []
    assert "No new paper" in frontier_section([])[1]


def test_only_papers_added_since_the_date(services: Services) -> None:
    add(services, "2301.00001", "Lip reading at scale", LIPS)
    papers.set_rating(services.db, "2301.00001", "up")
    add(services, "2511.00003", "Noisy-room lip reading", f"A {LIPS} benchmark")
    assert frontier_flags(services.kb, "2999-01-01") == []


def test_the_weekly_digest_carries_the_frontier_section(services: Services) -> None:
    from paperplan.commands.recommend import write_digest

    papers.sync_topics(services.db, services.plan)
    add(services, "2301.00001", "Lip reading at scale", LIPS, status="read")
    services.notes.save("2301.00001", f"Worth extending: {LIPS}.", "")
    add(services, "2511.00003", "Noisy-room lip reading", f"A {LIPS} benchmark")

    text = write_digest(services).read_text(encoding="utf-8")

    assert "## Frontier watch" in text
    assert "Noisy-room lip reading" in text and "> your note: Worth extending" in text
