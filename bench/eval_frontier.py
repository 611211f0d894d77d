"""`make eval` section: does the frontier watch flag the right new papers?

The learner rated up two papers in each of three plan topics; 201 real paper titles
labelled with their plan topic (bench/data/topics_unseen.jsonl) arrive as new papers,
titles only (the hardest case: real abstracts carry more signal). The papers rated up
are the first two titles of topics 3, 7 and 11 in that file. A flag is right when the new
paper has the same plan topic as the paper it was flagged for. Real all-MiniLM-L6-v2
vectors, real Chroma. Rows: precision and recall at the shipped threshold and at two
neighbours, so a change of threshold can be judged.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
TOPICS = (3, 7, 11)
ANCHORS_PER_TOPIC = 2
GOAL_PRECISION = 0.6


def run() -> list[dict]:
    from agent.frontier import MIN_SIMILARITY, frontier_flags
    from kb import papers
    from kb.snapshot import abstract_chunk
    from kb.types import Paper
    from paperplan.paths import DataPaths
    from paperplan.settings import Settings
    from paperplan.wiring import build_services

    items = [json.loads(line) for line in (DATA / "topics_unseen.jsonl").read_text(encoding="utf-8").splitlines()
             if line.strip()]
    with tempfile.TemporaryDirectory() as tmp:
        svc = build_services(Settings(), DataPaths(Path(tmp) / "data"))
        labels: dict[str, int] = {}
        chunks = {}
        anchors: list[str] = []
        for i, item in enumerate(items):
            paper = Paper(id=f"9901.{i:05d}", title=item["title"], source="arxiv", abstract=item["title"])
            papers.upsert_paper(svc.db, paper)
            labels[paper.id] = int(item["topic"])
            chunks[paper.id] = [abstract_chunk(paper)]
            if labels[paper.id] in TOPICS and sum(labels[a] == labels[paper.id] for a in anchors) < ANCHORS_PER_TOPIC:
                anchors.append(paper.id)
        svc.kb.index_many(chunks)
        for paper_id in anchors:
            papers.set_reading_status(svc.db, paper_id, "read")
            papers.set_rating(svc.db, paper_id, "up")
        relevant = {pid for pid, t in labels.items() if t in TOPICS and pid not in anchors}
        rows = []
        for threshold in (MIN_SIMILARITY - 0.05, MIN_SIMILARITY, MIN_SIMILARITY + 0.05):
            flags = frontier_flags(svc.kb, "2000-01-01", min_similarity=threshold, limit=10_000)
            right = [f for f in flags if labels[f.paper_id] == labels[f.related_id]]
            precision = len(right) / len(flags) if flags else 0.0
            recall = len(right) / len(relevant) if relevant else 0.0
            shipped = abs(threshold - MIN_SIMILARITY) < 1e-9
            rows += [
                {"metric": f"frontier precision @ {threshold:.2f}", "value": round(precision, 3), "unit": "share",
                 "goal": f"≥ {GOAL_PRECISION}" if shipped else "",
                 "ok": precision >= GOAL_PRECISION if shipped else None,
                 "note": f"{len(flags)} flagged of {len(items) - len(anchors)} new titles; {len(anchors)} rated up "
                         f"(topics {', '.join(map(str, TOPICS))})"},
                {"metric": f"frontier recall @ {threshold:.2f}", "value": round(recall, 3), "unit": "share",
                 "goal": "", "ok": None, "note": f"{len(right)} of {len(relevant)} same-topic titles flagged"},
            ]
        svc.db.close()
    return rows


if __name__ == "__main__":
    for row in run():
        print(row)
