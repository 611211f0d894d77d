"""`make eval` section: related-work drafts by the configured LLM (default: the embedded one).

A learner who has read every paper the plan recommends (the offline snapshot's real
abstracts, real vectors) and written one topic note asks for drafts on three topics and
one research idea. Rows: the share of the model's claims that survive the citation check,
the share of the citations it proposed that resolve to a given, supporting passage, that
every citation in the rendered drafts resolves to a BibTeX entry or a note (must be 1.0),
and seconds per draft.
"""

from __future__ import annotations

import re
import tempfile
import time
from pathlib import Path

TOPICS = (1, 3, 5)
IDEA = "reducing hallucination of multimodal large language models with better visual grounding"
GOAL_KEPT = 0.6


def run() -> list[dict]:
    from kb import papers
    from paperplan.commands.setup import run_init
    from paperplan.paths import DataPaths
    from paperplan.settings import load_settings
    from paperplan.wiring import build_services

    with tempfile.TemporaryDirectory() as tmp:
        svc = build_services(load_settings(), DataPaths(Path(tmp) / "data"))
        run_init(svc)
        for paper in papers.list_papers(svc.db, "plan_resource = 1"):
            papers.set_reading_status(svc.db, paper.id, "read")
        svc.notes.save("topic-3", "Fusion: early fusion mixes features before the encoder, late fusion mixes "
                                  "decisions; imbalance between modalities hurts joint training.", "")
        subjects = [(svc.plan.topic(n).title_en or svc.plan.topic(n).title, n) for n in TOPICS] + [(IDEA, None)]
        proposed = kept = citations = good_citations = resolving = cited = 0
        seconds = []
        notes = []
        for subject, topic in subjects:
            from agent.draft import topic_query

            query = topic_query(svc.plan.topic(topic)) if topic is not None else subject
            started = time.perf_counter()
            draft = svc.drafter.draft(subject, query, topic=topic)
            seconds.append(time.perf_counter() - started)
            dropped_claims = sum(d["passage"] is None for d in draft.dropped)
            proposed += len(draft.sentences) + dropped_claims
            kept += len(draft.sentences)
            dropped_citations = sum(d["passage"] is not None for d in draft.dropped)
            n_good = sum(len(s.citations) for s in draft.sentences)
            citations += n_good + dropped_citations
            good_citations += n_good
            md = draft.markdown()
            keys = {e.key for e in draft.bibtex}
            for match in re.finditer(r"\\cite\{([^}]*)\}", md):
                for key in match.group(1).split(","):
                    cited += 1
                    resolving += key in keys
            notes.append(f"{subject[:30]}: {len(draft.sentences)} kept, {len(draft.dropped)} dropped")
        svc.db.close()
    kept_share = kept / proposed if proposed else 0.0
    return [
        {"metric": "draft claims kept", "value": round(kept_share, 3), "unit": "share", "goal": f"≥ {GOAL_KEPT}",
         "ok": kept_share >= GOAL_KEPT, "note": f"{kept} of {proposed} claims; {svc.settings.llm.provider}; "
                                                + "; ".join(notes)},
        {"metric": "draft citations valid as proposed", "value": round(good_citations / citations, 3) if citations else 0.0,
         "unit": "share", "goal": "", "ok": None, "note": f"{good_citations} of {citations} (the rest were dropped)"},
        {"metric": "draft \\cite keys resolving", "value": round(resolving / cited, 3) if cited else 1.0, "unit": "share",
         "goal": "= 1.0", "ok": resolving == cited, "note": f"{cited} \\cite keys in the rendered drafts"},
        {"metric": "draft seconds (mean)", "value": round(sum(seconds) / len(seconds), 1), "unit": "s", "goal": "",
         "ok": None, "note": f"max {max(seconds):.1f} s, {len(seconds)} drafts"},
    ]


if __name__ == "__main__":
    for row in run():
        print(row)
