"""The offline snapshot: real arXiv metadata of the plan's papers, shipped as package data.

Abstracts in it are arXiv's (CC0). A field the snapshot lacks stays empty: it is filled by
the first online ingest, never made up.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources as importlib_resources

from kb import papers
from kb.plan import Plan
from kb.store import KnowledgeBase
from kb.types import Chunk, Paper, TopicAssignment


def snapshot_records() -> dict[str, dict]:
    text = (importlib_resources.files("kb") / "data" / "survey_snapshot.jsonl").read_text(encoding="utf-8")
    records = (json.loads(line) for line in text.splitlines() if line.strip())
    return {r["arxiv_id"]: r for r in records}


def paper_from_record(record: dict, plan_resource: bool) -> Paper:
    arxiv_id = record["arxiv_id"]
    return Paper(
        id=arxiv_id, title=record["title"], source="snapshot", authors=list(record.get("authors") or []),
        abstract=record.get("abstract") or "", categories=list(record.get("categories") or []),
        primary_category=record.get("primary_category") or "", published=record.get("published") or None,
        url=f"https://arxiv.org/abs/{arxiv_id}", pdf_url=f"https://arxiv.org/pdf/{arxiv_id}",
        plan_resource=plan_resource,
    )


def abstract_chunk(paper: Paper) -> Chunk:
    """Title and abstract as one searchable passage (title alone where no abstract is known)."""
    text = f"{paper.title}\n\n{paper.abstract}".strip()
    return Chunk(paper_id=paper.id, seq=0, kind="abstract", text=text, section="Abstract", version=None)


@dataclass
class SeedReport:
    new: list[str]
    updated: list[str]
    unchanged: list[str]
    missing: list[str]  # plan papers with no snapshot record


def seed_plan_papers(kb: KnowledgeBase, plan: Plan) -> SeedReport:
    """Load every plan paper the snapshot knows into the KB, with its plan topic. Idempotent."""
    records = snapshot_records()
    report = SeedReport([], [], [], [])
    topic_of: dict[str, list[tuple[int, str]]] = {}
    for topic_number, resource in plan.surveys:
        assert resource.arxiv_id
        topic_of.setdefault(resource.arxiv_id, []).append((topic_number, resource.text))
    to_index: list[Paper] = []
    for resource in plan.all_papers:
        assert resource.arxiv_id
        record = records.get(resource.arxiv_id)
        if record is None:
            report.missing.append(resource.arxiv_id)
            continue
        paper = paper_from_record(record, plan_resource=True)
        outcome = papers.upsert_paper(kb.db, paper)
        getattr(report, outcome).append(paper.id)
        existing = {a.topic for a in papers.topic_assignments(kb.db, paper.id) if a.method == "plan"}
        plan_topics = topic_of.get(paper.id, [])
        if {t for t, _ in plan_topics} - existing:
            papers.set_topic_assignments(kb.db, paper.id, [
                TopicAssignment(paper.id, t, 1.0, "plan", f"the plan recommends it for topic {t} ({text})", 1)
                for t, text in plan_topics
            ])
        if outcome != "unchanged" or not kb.db.scalar("SELECT 1 FROM chunks WHERE paper_id = ?", (paper.id,)):
            stored = papers.get_paper(kb.db, paper.id)
            assert stored is not None
            to_index.append(stored)
    for paper in to_index:
        kb.index_chunks(paper.id, [abstract_chunk(paper)])
    return report
