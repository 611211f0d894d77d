"""Split bench/data/topic_pool.tsv into the shipped exemplars and the unseen evaluation set.

Deterministic and blind: within each topic, titles are ordered by the sha256 of the title
and the first 33% become the unseen set, the rest the exemplars. Nobody chooses which
title lands where, so the evaluation cannot be tuned by placing easy titles in it.

    .venv/bin/python -m bench.data.make_topic_sets
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
POOL = HERE / "topic_pool.tsv"
UNSEEN = HERE / "topics_unseen.jsonl"
EXEMPLARS = HERE.parent.parent / "kb" / "data" / "multimodal-plan.zh.exemplars.jsonl"
UNSEEN_SHARE = 0.33


def read_pool(path: Path = POOL) -> list[tuple[int, str]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            topic, title = line.split("\t", 1)
            rows.append((int(topic), title.strip()))
    return rows


def split(rows: list[tuple[int, str]]) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    by_topic: dict[int, list[str]] = defaultdict(list)
    for topic, title in rows:
        by_topic[topic].append(title)
    unseen, exemplars = [], []
    for topic in sorted(by_topic):
        titles = sorted(by_topic[topic], key=lambda t: hashlib.sha256(t.encode()).hexdigest())
        cut = round(len(titles) * UNSEEN_SHARE)
        unseen += [(topic, t) for t in titles[:cut]]
        exemplars += [(topic, t) for t in titles[cut:]]
    return unseen, exemplars


def write(path: Path, rows: list[tuple[int, str]]) -> None:
    path.write_text("".join(json.dumps({"title": t, "topic": n}, ensure_ascii=False) + "\n" for n, t in rows),
                    encoding="utf-8")


if __name__ == "__main__":
    unseen, exemplars = split(read_pool())
    write(UNSEEN, unseen)
    write(EXEMPLARS, exemplars)
    print(f"{len(unseen)} unseen → {UNSEEN}\n{len(exemplars)} exemplars → {EXEMPLARS}")
