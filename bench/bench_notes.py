"""`make bench` section: notes, BibTeX and vault export at a learner's scale and beyond.

Real SQLite, real Chroma, the real embedding model where notes are embedded. The data dir
holds 1,000 papers with a note each (a year of heavy reading is a few hundred).
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

PAPERS = 1000
EDITED = 100


def _row(metric: str, value: float, unit: str, goal: float, note: str = "") -> dict:
    return {"metric": metric, "value": round(value, 3), "unit": unit, "goal": f"≤ {goal}", "ok": value <= goal,
            "note": note}


def run() -> list[dict]:
    from kb import papers
    from kb.bibtex import bibliography, render_bibliography
    from kb.exports import Selection, export_vault, select_papers
    from kb.types import Paper
    from paperplan.paths import DataPaths
    from paperplan.settings import Settings
    from paperplan.wiring import build_services

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        svc = build_services(Settings(), DataPaths(Path(tmp) / "data"))
        papers.sync_topics(svc.db, svc.plan)
        with svc.db.transaction():
            for i in range(PAPERS):
                papers.upsert_paper(svc.db, Paper(
                    id=f"2501.{i:05d}", title=f"Paper {i}: fusion & attention at 100% scale", source="arxiv",
                    authors=["Mei Chen", "Raj Patel", "Ana Souza"], published="2025-01-15", primary_category="cs.CV",
                    abstract="We study multimodal fusion. " * 20))
        vault = svc.notes

        started = time.perf_counter()
        for i in range(PAPERS):
            vault.save(f"2501.{i:05d}", f"Note {i}: late fusion worked better than early fusion here.", "",
                       index=False)
        per_save = (time.perf_counter() - started) / PAPERS * 1000
        rows.append(_row("notes save (atomic write, no index)", per_save, "ms", 20.0, f"{PAPERS} saves"))

        started = time.perf_counter()
        vault.sync()  # first sync embeds every note with the real model
        first = time.perf_counter() - started
        rows.append(_row(f"notes first sync ({PAPERS} notes embedded)", first, "s", 120.0, "real all-MiniLM-L6-v2"))

        started = time.perf_counter()
        report = vault.sync()
        idle = time.perf_counter() - started
        rows.append(_row(f"notes sync, nothing changed ({PAPERS} notes)", idle, "s", 2.0,
                         f"{report.unchanged} unchanged"))

        for i in range(EDITED):
            path = vault.note_path(f"2501.{i:05d}")
            path.write_text(path.read_text(encoding="utf-8") + "\nEdited in Obsidian: gated fusion next.\n",
                            encoding="utf-8")
        started = time.perf_counter()
        report = vault.sync()
        edited = time.perf_counter() - started
        rows.append(_row(f"notes sync, {EDITED} edited outside", edited, "s", 20.0, f"{len(report.indexed)} re-embedded"))

        started = time.perf_counter()
        hits = vault.search("gated fusion next", k=10)
        search = (time.perf_counter() - started) * 1000
        rows.append(_row("notes search (dense + words)", search, "ms", 1500.0, f"{len(hits)} hits"))

        started = time.perf_counter()
        text = render_bibliography(bibliography(select_papers(svc.db, Selection())))
        bib = time.perf_counter() - started
        rows.append(_row(f"export bibtex ({PAPERS} papers)", bib, "s", 1.0, f"{len(text) // 1024} KiB"))

        started = time.perf_counter()
        report_vault = export_vault(vault, svc.plan, Path(tmp) / "vault", papers.list_papers(svc.db))
        vault_s = time.perf_counter() - started
        rows.append(_row(f"export vault ({PAPERS} papers)", vault_s, "s", 10.0, f"{len(report_vault.files)} files"))
        svc.db.close()
    return rows


if __name__ == "__main__":
    for row in run():
        print(row)
