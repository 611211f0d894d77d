"""The atheris fuzz pass of `make reliability`, bounded in time:
`python -m tests.reliability.fuzz TARGET SECONDS WORKDIR` (TARGET: plan | atom | config).

Coverage-guided (libFuzzer through atheris) over the same oracles as the hypothesis tests
(tests/reliability/oracles.py), seeded with the shipped plan, recorded arXiv answers and the
repo's config.toml. A crash (any exception an oracle lets through) is saved under WORKDIR and
the process exits non-zero; the last stderr line libFuzzer prints says how many inputs ran.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import atheris

REPO = Path(__file__).resolve().parents[2]


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
    else:
        (corpus / "config.toml").write_bytes((REPO / "config.toml").read_bytes())
        (corpus / "small.toml").write_bytes(b'[ingest]\npage_size = 10\n[llm]\nprovider = "ollama"\n')


def main(target: str, seconds: int, work: Path) -> None:
    logging.disable(logging.CRITICAL)  # the arxiv client logs every skipped entry
    with atheris.instrument_imports(include=["kb", "ingest", "paperplan", "arxiv"]):
        from tests.reliability import oracles
    oracle = oracles.ORACLES[target]
    corpus = work / f"corpus-{target}"
    seeds(target, corpus)
    atheris.Setup([sys.argv[0], str(corpus), f"-max_total_time={seconds}", "-rss_limit_mb=1536",
                   f"-artifact_prefix={work}/crash-{target}-", "-max_len=20000", "-print_final_stats=1"],
                  oracle)
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), Path(sys.argv[3]))
