"""The atheris fuzz pass of `make reliability`, bounded in time:
`python -m tests.reliability.fuzz TARGET SECONDS WORKDIR` (TARGET: plan | atom | config | reply).

Coverage-guided (libFuzzer through atheris) over the same oracles as the hypothesis tests
(tests/reliability/oracles.py), seeded with the shipped plan, recorded arXiv answers, the
repo's config.toml and replies over table and prose passages. A crash (any exception an
oracle lets through) is saved under WORKDIR and the process exits non-zero; the last stderr
line libFuzzer prints says how many inputs ran.
An input that runs longer than TIMEOUT_S is a crash too: the reply checks' patterns run on
untrusted paper text, and one that backtracks exponentially hangs Ask (0aa9679).
"""

from __future__ import annotations

import importlib
import logging
import sys
from pathlib import Path

import atheris

REPO = Path(__file__).resolve().parents[2]
TIMEOUT_S = 10
# The modules each oracle imports when first called: imported here, inside atheris'
# instrumentation, so libFuzzer sees their coverage (imported later, they run uninstrumented).
UNDER_TEST = {"plan": "kb.plan", "atom": "ingest.arxiv_source", "config": "paperplan.settings",
              "reply": "agent.reply_checks"}
# question NUL reply NUL passage…: a table row, a change stated in prose, a reference list.
REPLIES = [
    "What F1 does XYLayoutLM reach on FUNSD?\0XYLayoutLM reaches an F1 of 0.8335 [1], ahead of LayoutXLM by 0.0001."
    "\0Table 2. Comparison with different methods on the FUNSD w.r.t F1 score.\nXYLayoutLM: Modality Vision; "
    "F1 0.8335\nLayoutXLM [29]: Modality Vision; F1 0.8334\0beyond the baseline LayoutXLM (0.6432) by 3.5%",
    "PaSa-7b 的 Recall@20 是多少？\0PaSa-7b 的 Recall@20 为 0.7931，提升了 33.80%、38.83% 和 42.64% [2]。\0"
    "PaSa-7b surpasses all baselines, with an improvement of 33.80%, 38.83% and 42.64% in Recall@20 [1,2,3,4,5,6]",
    "What is C at d = 1?\0C = 1/8 at d = 1, from 12,989 tokens.\0C = 1/8, the standard result for a d = 2 system; "
    "12,989 training data. α = 2.0",
]


def seeds(target: str, corpus: Path) -> None:
    from tests.reliability.helpers import SHARED_ATOM, atom_entry, atom_feed

    corpus.mkdir(parents=True, exist_ok=True)
    if target == "plan":
        text = (REPO / "kb" / "data" / "multimodal-plan.zh.md").read_bytes()
        (corpus / "plan.md").write_bytes(text)
        (corpus / "plan-head.md").write_bytes(text[:2000])
    elif target == "atom":
        (corpus / "one.xml").write_bytes(atom_feed(atom_entry()))
        for path in sorted(SHARED_ATOM.glob("*.xml"))[:3]:
            (corpus / path.name).write_bytes(path.read_bytes()[:20000])
    elif target == "reply":
        for i, seed in enumerate(REPLIES):
            (corpus / f"reply-{i}.txt").write_bytes(seed.encode())
    else:
        (corpus / "config.toml").write_bytes((REPO / "config.toml").read_bytes())
        (corpus / "small.toml").write_bytes(b'[ingest]\npage_size = 10\n[llm]\nprovider = "ollama"\n')


def main(target: str, seconds: int, work: Path) -> None:
    logging.disable(logging.CRITICAL)  # the arxiv client logs every skipped entry
    with atheris.instrument_imports(include=["kb", "ingest", "paperplan", "arxiv", "agent"]):
        from tests.reliability import oracles

        importlib.import_module(UNDER_TEST[target])
    oracle = oracles.ORACLES[target]
    corpus = work / f"corpus-{target}"
    seeds(target, corpus)
    atheris.Setup([sys.argv[0], str(corpus), f"-max_total_time={seconds}", "-rss_limit_mb=1536",
                   f"-artifact_prefix={work}/crash-{target}-", "-max_len=20000", f"-timeout={TIMEOUT_S}",
                   "-print_final_stats=1"],
                  oracle)
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), Path(sys.argv[3]))
