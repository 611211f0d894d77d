"""init, status and plan show: the foundation's commands."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.tree import Tree

from kb import papers
from kb.db import utc_now
from kb.plan import Plan
from kb.runs import record_run
from kb.snapshot import seed_plan_papers
from paperplan.wiring import Services


def run_init(svc: Services) -> dict[str, Any]:
    """Idempotent: a second run changes nothing and is quick (no model load when nothing is new)."""
    svc.paths.create()
    plan = svc.plan
    with record_run(svc.db, "init") as summary:
        papers.sync_topics(svc.db, plan)
        with svc.db.transaction() as conn:
            conn.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('plan_start', ?)",
                         (date.today().isoformat(),))
            conn.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('initialised_at', ?)", (utc_now(),))
        reconciled = svc.kb.reconcile()
        seeded = seed_plan_papers(svc.kb, plan)
        summary.update(seeded=asdict(seeded), reconciled=asdict(reconciled))
    return {
        "data_dir": str(svc.paths.root),
        "plan": {"source": plan.source, "stages": len(plan.stages), "topics": len(plan.topics),
                 "surveys": len(plan.surveys)},
        "seeded": asdict(seeded),
        "reconciled": asdict(reconciled),
    }


def collect_status(svc: Services) -> dict[str, Any]:
    settings = svc.settings
    initialised = svc.paths.db.exists()
    report: dict[str, Any] = {
        "data_dir": str(svc.paths.root),
        "initialised": initialised,
        "plan": {"source": svc.plan.source, "title": svc.plan.title, "stages": len(svc.plan.stages),
                 "topics": len(svc.plan.topics)},
        "backends": {
            "vector_store": ("chroma server " if settings.kb.chroma_url else "embedded chroma ")
            + svc.vector_location,
            "embedder": settings.kb.embedder,
            "llm": settings.llm.provider + (f" ({settings.llm.model})" if settings.llm.model else ""),
        },
    }
    if initialised:
        report["counts"] = svc.kb.counts()
        from ingest.pdf import PARSER_VERSION  # deferred: status before init needs no parser

        # Papers an older PDF parser read: the nightly run re-reads them a batch at a time.
        report["awaiting_reread"] = len(papers.parsed_before(svc.db, PARSER_VERSION))
        last = svc.db.query("SELECT kind, started, finished, ok FROM runs ORDER BY id DESC LIMIT 1")
        report["last_run"] = dict(last[0]) if last else None
    return report


def render_status(report: dict[str, Any]) -> None:
    console = Console()
    console.print(f"[bold]paperplan[/bold]  data dir: {report['data_dir']}")
    plan = report["plan"]
    console.print(f"plan: {plan['title']} ({plan['stages']} stages, {plan['topics']} topics)")
    for name, value in report["backends"].items():
        console.print(f"{name}: {value}")
    if not report["initialised"]:
        console.print("not initialised yet: run `paperplan init`")
        return
    counts = report["counts"]
    table = Table(show_header=False, box=None)
    for key in ("papers", "chunks", "vectors", "fulltext_papers", "topics_covered", "notes", "cards", "reviews"):
        value = counts[key]
        if key == "topics_covered":
            value = f"{value} of {counts['topics']}"
        table.add_row(key.replace("_", " "), str(value))
    console.print(table)
    if report.get("awaiting_reread"):
        count = report["awaiting_reread"]
        console.print(f"{count} {'paper was' if count == 1 else 'papers were'} read by an older PDF parser: "
                      "the nightly run reads them again, `paperplan ingest --reread` does it now")
    if report.get("last_run"):
        run = report["last_run"]
        console.print(f"last run: {run['kind']} at {run['started']} ({'ok' if run['ok'] else 'failed'})")


def plan_tree(plan: Plan) -> dict[str, Any]:
    return {
        "title": plan.title,
        "stages": [
            {
                "number": s.number, "title": s.title, "duration": s.duration, "assessment": s.assessment,
                "topics": [
                    {"number": t.number, "title": t.title, "title_en": t.title_en,
                     "resources": [{"title": r.text, "arxiv_id": r.arxiv_id} for r in t.resources],
                     "project": t.project}
                    for t in s.topics
                ],
            }
            for s in plan.stages
        ],
    }


def render_plan(plan: Plan) -> None:
    tree = Tree(f"[bold]{plan.title}[/bold]")
    for stage in plan.stages:
        branch = tree.add(f"[bold]第{stage.number}阶段 {stage.title}[/bold] ({stage.duration})")
        for topic in stage.topics:
            node = branch.add(f"{topic.number}. {topic.title} — {topic.title_en}")
            for r in topic.resources:
                node.add(f"{r.text}" + (f"  [dim]arXiv:{r.arxiv_id}[/dim]" if r.arxiv_id else ""))
            if topic.project:
                node.add(f"[italic]实践项目[/italic]: {topic.project}")
        if stage.assessment:
            branch.add(f"[italic]阶段性评估[/italic]: {stage.assessment}")
    Console().print(tree)
