"""`make eval` section: topic-mapping accuracy on real paper titles, titles alone.

Sets (bench/data/README.md): the unseen set (200 real titles, never used to build a
profile) and the plan's 20 surveys (labelled by construction; scored with the surveys
left out of the profiles, so each is unseen too). Rows: the plain-embedding baseline (one
vector per topic from its description and keywords) and the mapper as configured by
default (embedded defaults: all-MiniLM-L6-v2, no LLM adjudication).
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

DATA = Path(__file__).resolve().parent / "data"
GOAL_TOP1, GOAL_TOP3 = 0.75, 0.92


def load_unseen() -> list[tuple[str, int]]:
    lines = (DATA / "topics_unseen.jsonl").read_text(encoding="utf-8").splitlines()
    return [(r["title"], int(r["topic"])) for r in map(json.loads, filter(str.strip, lines))]


def accuracy(ranker: Callable[[Sequence[str]], list[list[int]]], items: list[tuple[str, int]]) -> tuple[float, float]:
    ranked = ranker([t for t, _ in items])
    top1 = sum(r[0] == label for r, (_, label) in zip(ranked, items, strict=True)) / len(items)
    top3 = sum(label in r[:3] for r, (_, label) in zip(ranked, items, strict=True)) / len(items)
    return top1, top3


def baseline_ranker(plan, embedder) -> Callable[[Sequence[str]], list[list[int]]]:  # type: ignore[no-untyped-def]
    topics = list(plan.topics)
    profile = embedder.embed_documents(
        [f"{t.title_en}: {t.description} Keywords: {', '.join(t.keywords)}" for t in topics])

    def rank(titles: Sequence[str]) -> list[list[int]]:
        sims = embedder.embed_documents(list(titles)) @ profile.T
        return [[topics[i].number for i in np.argsort(-row)] for row in sims]

    return rank


def mapper_ranker(mapper) -> Callable[[Sequence[str]], list[list[int]]]:  # type: ignore[no-untyped-def]
    def rank(titles: Sequence[str]) -> list[list[int]]:
        return [[s.topic for s in r] for r in mapper._rank_many([(t, "") for t in titles])]

    return rank


def rows_for(name: str, top1: float, top3: float, n: int, goals: bool) -> list[dict]:
    return [
        {"metric": f"{name} top-1", "value": round(top1, 3), "unit": "share", "goal": f"≥ {GOAL_TOP1}" if goals else "",
         "ok": top1 >= GOAL_TOP1 if goals else None, "note": f"{n} titles"},
        {"metric": f"{name} top-3", "value": round(top3, 3), "unit": "share", "goal": f"≥ {GOAL_TOP3}" if goals else "",
         "ok": top3 >= GOAL_TOP3 if goals else None, "note": ""},
    ]


def run() -> list[dict]:
    from agent.topics import TopicMapper
    from kb import papers
    from kb.snapshot import seed_plan_papers
    from paperplan.paths import DataPaths
    from paperplan.settings import Settings
    from paperplan.wiring import build_services

    unseen = load_unseen()
    rows: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        svc = build_services(Settings(), DataPaths(Path(tmp) / "data"))
        papers.sync_topics(svc.db, svc.plan)
        rows += rows_for("unseen: plain embedding baseline", *accuracy(baseline_ranker(svc.plan, svc.embedder), unseen),
                         len(unseen), goals=False)
        # The plan's surveys, scored before they are in the KB: each is unseen by the profiles.
        surveys = [(r.title_en.split(" (")[0], n) for n, r in svc.plan.surveys if r.title_en]
        bare = TopicMapper(svc.kb, svc.plan, None)
        rows += rows_for("plan surveys (left out): mapper", *accuracy(mapper_ranker(bare), surveys),
                         len(surveys), goals=False)
        seed_plan_papers(svc.kb, svc.plan)
        mapper = TopicMapper(svc.kb, svc.plan, None)
        rows += rows_for("unseen: mapper (embedded defaults)", *accuracy(mapper_ranker(mapper), unseen),
                         len(unseen), goals=True)
        svc.db.close()
    return rows


if __name__ == "__main__":
    from bench.harness import print_table

    print_table({"sections": {"eval_topics": {"rows": run(), "error": None}}})
