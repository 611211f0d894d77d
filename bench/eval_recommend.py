"""Offline evaluation of the weekly recommendations with simulated learners (`make eval`).

The KB holds the plan's own surveys (real arXiv abstracts from the bundled snapshot) and
synthetic arrivals written from each topic's English profile (four per topic, one pair of
them near-duplicates), embedded with the real default embedder into a real Chroma store.
Each simulated learner is a position in the plan (projects ticked, assessments passed),
papers read, quiz mastery per topic and up/down ratings. We measure:

- read or rated papers picked (must be 0);
- picks in plan order: on a topic of the current stage, or the next one when the current
  stage has nothing left;
- the plan's survey first when the current topic still has an unread survey;
- weak topics first: the first pick's topic is the weakest current-stage topic with candidates;
- ratings move the picks: rating up a paper like a low-ranked candidate lifts it; rating
  down a paper like the first pick pushes that pick down;
- no two picks the same: the highest cosine between two picks.
"""

from __future__ import annotations

import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
WEEK = "2026-W48"
LEARNERS = 40
PICKS = 2


def _build_kb(root: Path) -> Any:
    from kb import papers
    from kb.snapshot import abstract_chunk, seed_plan_papers
    from kb.types import Paper, TopicAssignment
    from paperplan.paths import DataPaths
    from paperplan.settings import Settings
    from paperplan.wiring import build_services

    svc = build_services(Settings(), DataPaths(root))
    papers.sync_topics(svc.db, svc.plan)
    seed_plan_papers(svc.kb, svc.plan)
    rng = random.Random(7)
    for topic in svc.plan.topics:
        keywords = list(topic.keywords) or [topic.title_en]
        for i in range(4):
            kw = keywords[i % len(keywords)]
            other = keywords[(i + 3) % len(keywords)]
            pid = f"2611.{topic.number:02d}{i:03d}"
            abstract = (f"We study {kw} for {topic.title_en.lower()}. Building on {other}, we propose a method "
                        f"and evaluate it on standard benchmarks. {topic.description[:200]}")
            if i == 3:  # a near-duplicate of arrival 2 (the same work posted twice)
                kw = keywords[2 % len(keywords)]
                abstract = (f"We study {kw} for {topic.title_en.lower()}. Building on "
                            f"{keywords[5 % len(keywords)]}, we propose a method and evaluate it on standard "
                            f"benchmarks. {topic.description[:200]}")
            paper = Paper(id=pid, title=f"{kw.capitalize()} for {topic.title_en.lower()}", source="arxiv",
                          abstract=abstract, published=(NOW - timedelta(days=rng.randint(1, 400))).date().isoformat(),
                          venue=rng.choice(["", "", "NeurIPS 2026"]), url=f"https://arxiv.org/abs/{pid}")
            papers.upsert_paper(svc.db, paper)
            papers.set_topic_assignments(svc.db, pid, [TopicAssignment(pid, topic.number, round(rng.uniform(0.5, 0.9), 2),
                                                                       "embedding", "eval")])
            svc.kb.index_chunks(pid, [abstract_chunk(paper)])
    return svc


def _reset(db: Any) -> None:
    with db.transaction() as conn:
        for table in ("milestones", "reviews", "cards", "recommendations"):
            conn.execute(f"DELETE FROM {table}")
        conn.execute("DELETE FROM papers WHERE source = 'eval-rated'")
        conn.execute("UPDATE reading SET status = 'new', rating = '', status_at = NULL, rated_at = NULL")


def _learner(svc: Any, rng: random.Random) -> dict[str, Any]:
    """A random position in the plan, with reading and mastery to match."""
    from kb import cards, papers
    from kb.progress import set_milestone

    plan = svc.plan
    stage = rng.randint(1, 4)
    topics_before = [t for t in plan.topics if t.stage < stage]
    stage_topics = [t for t in plan.topics if t.stage == stage]
    done_in_stage = rng.randint(0, len(stage_topics) - 1)
    for s in range(1, stage):
        set_milestone(svc.db, "stage-assessment", s)
    for t in topics_before + stage_topics[:done_in_stage]:
        set_milestone(svc.db, "project", t.number)
    for t in topics_before + stage_topics:
        for r in t.surveys:
            if r.arxiv_id and rng.random() < (0.9 if t.stage < stage else 0.4):
                papers.set_reading_status(svc.db, r.arxiv_id, "read")
        if rng.random() < 0.6:  # some topics have cards, remembered well or badly
            good = rng.random() < 0.5
            card = cards.Card(type="short", question=f"eval question on topic {t.number}", answer="x",
                              paper_id=None, topic=t.number)
            cards.add_cards(svc.db, [card])
            cards.record_review(svc.db, card.id, 4 if good else 1, now=NOW - timedelta(days=0 if good else 40))
    return {"stage": stage}


def _rate_like(svc: Any, paper_id: str, rating: str, n: int) -> None:
    """The learner read and rated a paper much like `paper_id` (same subject, other words)."""
    from kb import papers
    from kb.types import Paper, TopicAssignment

    like = papers.get_paper(svc.db, paper_id)
    assert like
    pid = f"eval-rated-{n}"
    papers.upsert_paper(svc.db, Paper(id=pid, title=like.title, abstract=like.abstract, source="eval-rated"))
    topic = papers.topic_assignments(svc.db, paper_id)[0].topic
    papers.set_topic_assignments(svc.db, pid, [TopicAssignment(pid, topic, 0.9, "embedding", "eval")])
    papers.set_reading_status(svc.db, pid, "read")
    papers.set_rating(svc.db, pid, rating)


def run() -> list[dict[str, Any]]:
    from agent.recommend import Weights, paper_vectors, rank
    from kb.progress import compute_progress

    rng = random.Random(42)
    with tempfile.TemporaryDirectory() as tmp:
        svc = _build_kb(Path(tmp) / "data")
        vectors_fn = paper_vectors(svc.kb)
        weights = Weights()
        stats: dict[str, list[float]] = {k: [] for k in (
            "read_picked", "plan_order", "survey_first", "weak_first", "weak_before_strong", "up_lifts", "down_drops", "max_cos", "ms")}
        for n in range(LEARNERS):
            _reset(svc.db)
            _learner(svc, rng)
            progress = compute_progress(svc.db, svc.plan, now=NOW)
            started = time.perf_counter()
            ranked = rank(svc.db, progress, vectors_fn, count=20, week=WEEK, now=NOW, weights=weights)
            stats["ms"].append((time.perf_counter() - started) * 1000)
            picks = ranked[:PICKS]
            if not picks:
                continue
            read = {r[0] for r in svc.db.query("SELECT paper_id FROM reading WHERE status = 'read' OR rating != ''")}
            stats["read_picked"].append(sum(p.paper_id in read for p in ranked))
            stats["plan_order"] += [_in_plan_order(p, i, ranked, progress, weights) for i, p in enumerate(picks)]
            surveys = {r.arxiv_id for _, r in svc.plan.surveys}
            for topic in {p.topics[0] for p in ranked}:
                tp = progress.topic(topic)
                if tp.surveys_read < tp.surveys and tp.strength < weights.strong_topic:
                    first = next(p for p in ranked if p.topics[0] == topic)
                    unread = [r for r in svc.plan.topic(topic).surveys if r.arxiv_id not in read]
                    if unread:
                        stats["survey_first"].append(float(first.paper_id in surveys))
            stage_topics = {p.topics[0] for p in ranked if progress.topic(p.topics[0]).stage == progress.current_stage}
            if len(stage_topics) > 1:
                weakest = min(progress.topic(t).strength for t in stage_topics)
                stats["weak_first"].append(float(progress.topic(picks[0].topics[0]).strength <= weakest + 0.05))
            others = [p for p in ranked if p.topics[0] in stage_topics - {progress.current_topic}]
            if len({p.topics[0] for p in others}) > 1:
                weakest_other = min(progress.topic(p.topics[0]).strength for p in others)
                stats["weak_before_strong"].append(
                    float(progress.topic(others[0].topics[0]).strength <= weakest_other + 0.05))
            vecs = vectors_fn([svc.db and _paper(svc, p.paper_id) for p in picks])
            if len(picks) > 1:
                a, b = (vecs[p.paper_id] for p in picks[:2])
                stats["max_cos"].append(float(np.dot(a, b)))
            # Ratings: like a paper similar to a candidate ranked 6th..10th; dislike one like the first pick.
            target = ranked[min(len(ranked) - 1, rng.randint(5, 9))]
            before = [p.paper_id for p in ranked].index(target.paper_id)
            _rate_like(svc, target.paper_id, "up", n)
            after_up = rank(svc.db, compute_progress(svc.db, svc.plan, now=NOW), vectors_fn, count=20, week=WEEK,
                            now=NOW, weights=weights)
            ids = [p.paper_id for p in after_up]
            stats["up_lifts"].append(float(target.paper_id in ids and ids.index(target.paper_id) < before))
            top_id = after_up[0].paper_id
            _rate_like(svc, top_id, "down", n + 1000)
            after_down = rank(svc.db, compute_progress(svc.db, svc.plan, now=NOW), vectors_fn, count=20,
                              week=WEEK, now=NOW, weights=weights)
            ids = [p.paper_id for p in after_down]
            stats["down_drops"].append(float(top_id not in ids or ids.index(top_id) > 0))
        svc.db.close()

    def mean(key: str) -> float:
        values = stats[key]
        return float(np.mean(values)) if values else float("nan")

    return [
        {"metric": "read or rated papers picked", "value": int(sum(stats["read_picked"])), "unit": "papers",
         "goal": "= 0", "ok": sum(stats["read_picked"]) == 0, "note": f"{LEARNERS} simulated learners, top 20 each"},
        {"metric": "picks in plan order", "value": mean("plan_order"), "unit": "share",
         "goal": "≥ 0.95", "ok": mean("plan_order") >= 0.95,
         "note": "next stage only once the current stage's weak topics have nothing left"},
        {"metric": "survey before frontier for a topic not yet strong", "value": mean("survey_first"),
         "unit": "share", "goal": "≥ 0.95", "ok": mean("survey_first") >= 0.95,
         "note": f"topic's first candidate; n={len(stats['survey_first'])} (learner, topic) pairs"},
        {"metric": "weakest other stage topic before stronger ones", "value": mean("weak_before_strong"),
         "unit": "share", "goal": "≥ 0.9", "ok": mean("weak_before_strong") >= 0.9,
         "note": f"current-stage topics besides the current one (±0.05 strength); n={len(stats['weak_before_strong'])}"},
        {"metric": "first pick on the weakest stage topic", "value": mean("weak_first"), "unit": "share",
         "goal": "", "ok": None,
         "note": f"n={len(stats['weak_first'])}; otherwise a current-topic paper comes first, by design"},
        {"metric": "rating up a similar paper lifts a candidate", "value": mean("up_lifts"), "unit": "share",
         "goal": "≥ 0.8", "ok": mean("up_lifts") >= 0.8, "note": "candidate ranked 6th-10th before"},
        {"metric": "rating down a similar paper drops pick 1", "value": mean("down_drops"), "unit": "share",
         "goal": "≥ 0.8", "ok": mean("down_drops") >= 0.8,
         "note": "where it stays first it is the current topic's own plan survey"},
        {"metric": "cosine between the two picks (mean)", "value": mean("max_cos"), "unit": "cos",
         "goal": "max < 0.88", "ok": bool(stats["max_cos"]) and max(stats["max_cos"]) < weights.duplicate_cosine,
         "note": f"max {max(stats['max_cos'] or [0]):.3f}; all-MiniLM-L6-v2 abstracts"},
        {"metric": "rank time per learner (median)", "value": float(np.median(stats["ms"])), "unit": "ms",
         "goal": "", "ok": None, "note": "≈ 80 candidates, real Chroma store"},
    ]


def _in_plan_order(pick: Any, index: int, ranked: list[Any], progress: Any, weights: Any) -> float:
    """A pick keeps plan order unless it is beyond the next stage, or from the next stage
    while a current-stage topic that is not yet strong still has a candidate ranked lower."""
    stage = progress.topic(pick.topics[0]).stage
    if stage > progress.current_stage + 1:
        return 0.0
    if stage == progress.current_stage + 1:
        for later in ranked[index + 1:]:
            t = progress.topic(later.topics[0])
            if t.stage == progress.current_stage and t.strength < weights.strong_topic:
                return 0.0
    return 1.0


def _paper(svc: Any, paper_id: str) -> Any:
    from kb import papers

    return papers.get_paper(svc.db, paper_id)


if __name__ == "__main__":
    for row in run():
        print(row)
