"""Selections of papers and the notes vault exported as a linked folder.

A selection is the intersection of the filters given (read papers, a topic, a stage, a
week's picks, explicit ids); no filter means every paper. The vault export writes a
folder an Obsidian user can open: a page per paper (its note, metadata and abstract), per
topic and per stage, joined by wiki links, plus the journal and an index.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import yaml

from kb import papers
from kb.db import Database, utc_now
from kb.errors import PaperplanError
from kb.notes import JOURNAL_ID, NotesVault, safe_file_stem, split_front_matter, topic_note_id
from kb.plan import Plan
from kb.progress import Progress
from kb.types import Paper

VAULT_MARKER = ".paperplan-vault"


class SelectionError(PaperplanError):
    hint = "see `paperplan plan show` for topic and stage numbers; weeks look like 2026-W07 or 'latest'"


class ExportError(PaperplanError):
    hint = "choose an empty folder, or one an earlier `paperplan export vault` wrote"


@dataclass
class Selection:
    read: bool = False
    topic: int | None = None
    stage: int | None = None
    week: str | None = None  # ISO week 'YYYY-Www' or 'latest'
    ids: Sequence[str] = ()
    noted: bool = False  # only papers the learner wrote a note on

    def describe(self) -> str:
        parts = [name for name, on in (("read", self.read), ("noted", self.noted)) if on]
        parts += [f"{name} {value}" for name, value in (("topic", self.topic), ("stage", self.stage),
                                                        ("week", self.week)) if value is not None]
        if self.ids:
            parts.append(f"{len(self.ids)} ids")
        return ", ".join(parts) or "every paper"


def latest_week(db: Database) -> str | None:
    value = db.scalar("SELECT MAX(week) FROM recommendations")
    return str(value) if value else None


def select_papers(db: Database, selection: Selection, plan: Plan | None = None) -> list[Paper]:
    """The papers matching every filter of `selection`, in a stable order (week picks by rank)."""
    where: list[str] = []
    params: list[object] = []
    order, order_params = "p.id", cast(tuple[str, ...], ())
    if selection.read:
        where.append("p.id IN (SELECT paper_id FROM reading WHERE status = 'read')")
    if selection.noted:
        where.append("p.id IN (SELECT paper_id FROM notes WHERE paper_id IS NOT NULL)")
    if selection.topic is not None:
        if plan is not None and selection.topic not in {t.number for t in plan.topics}:
            raise SelectionError(f"the plan has no topic {selection.topic}")
        where.append("p.id IN (SELECT paper_id FROM paper_topics WHERE confirmed >= 0 AND topic = ?)")
        params.append(selection.topic)
    if selection.stage is not None:
        stage_topics = _stage_topics(db, selection.stage, plan)
        if not stage_topics:
            raise SelectionError(f"the plan has no stage {selection.stage}")
        marks = ",".join("?" * len(stage_topics))
        where.append(f"p.id IN (SELECT paper_id FROM paper_topics WHERE confirmed >= 0 AND topic IN ({marks}))")
        params += stage_topics
    if selection.week is not None:
        week = latest_week(db) if selection.week == "latest" else selection.week
        if week is None:
            raise SelectionError("there are no weekly picks yet", hint="`paperplan recommend` makes this week's")
        where.append("p.id IN (SELECT paper_id FROM recommendations WHERE week = ?)")
        params.append(week)
        order = "(SELECT rank FROM recommendations r WHERE r.paper_id = p.id AND r.week = ?), p.id"
        order_params = (week,)
    if selection.ids:
        missing = [i for i in selection.ids if papers.get_paper(db, i) is None]
        if missing:
            raise SelectionError(f"no paper with id {', '.join(missing)} in the knowledge base",
                                 hint="`paperplan ingest --ids …` adds arXiv papers")
        where.append(f"p.id IN ({','.join('?' * len(selection.ids))})")
        params += list(selection.ids)
    sql = f"SELECT p.* FROM papers p WHERE {' AND '.join(where) or '1=1'} ORDER BY {order}"
    return [papers.paper_from_row(r) for r in db.query(sql, (*params, *order_params))]


def _stage_topics(db: Database, stage: int, plan: Plan | None) -> list[int]:
    if plan is not None:
        return [t.number for t in plan.topics if t.stage == stage]
    return [r[0] for r in db.query("SELECT number FROM topics WHERE stage = ? ORDER BY number", (stage,))]


# -- the vault ---------------------------------------------------------------------------------


@dataclass
class VaultReport:
    folder: str
    papers: int = 0
    topics: int = 0
    stages: int = 0
    notes: int = 0  # papers whose page carries the learner's note
    files: list[str] = field(default_factory=list)


def default_vault_papers(db: Database) -> list[Paper]:
    """What belongs in a study vault: papers the learner noted, rated, queued or read, and the
    plan's own papers (not every nightly arrival)."""
    return papers.list_papers(
        db,
        "plan_resource = 1 OR id IN (SELECT paper_id FROM notes WHERE paper_id IS NOT NULL)"
        " OR id IN (SELECT paper_id FROM reading WHERE status IN ('queued', 'reading', 'read') OR rating != '')",
    )


def _link(stem: str, label: str) -> str:
    label = label.replace("|", "/").replace("]", ")").replace("[", "(").replace("\n", " ")
    return f"[[{stem}|{label}]]"


def _page(front: dict[str, object], body: str) -> str:
    header = yaml.safe_dump(front, allow_unicode=True, sort_keys=False, default_flow_style=None, width=1000)
    return f"---\n{header}---\n\n{body.strip()}\n"


def _prepare_folder(target: Path) -> None:
    if target.exists() and not target.is_dir():
        raise ExportError(f"{target} exists and is not a folder")
    if target.exists() and any(target.iterdir()) and not (target / VAULT_MARKER).exists():
        raise ExportError(f"{target} is not empty and was not written by paperplan; nothing was written")
    for sub in ("papers", "topics", "stages"):
        # Our own earlier export: replace it whole so removed papers do not linger.
        if (target / sub).exists():
            shutil.rmtree(target / sub)
        (target / sub).mkdir(parents=True)
    (target / VAULT_MARKER).write_text(f"written by paperplan export vault at {utc_now()}\n", encoding="utf-8")


def export_vault(vault: NotesVault, plan: Plan, target: Path, selected: Iterable[Paper] | None = None) -> VaultReport:
    """Write the vault folder. Every page is derived; the notes folder itself is only read."""
    db = vault.db
    chosen = list(selected) if selected is not None else default_vault_papers(db)
    _prepare_folder(target)
    report = VaultReport(folder=str(target))
    topic_titles = {t.number: f"{t.number}. {t.title}" for t in plan.topics}
    by_topic: dict[int, list[Paper]] = {t.number: [] for t in plan.topics}

    for paper in chosen:
        assignments = [a.topic for a in papers.topic_assignments(db, paper.id) if a.topic in topic_titles]
        for number in assignments:
            by_topic[number].append(paper)
        note = vault.read(paper.id)
        front = vault.front_matter(paper.id, note.front if note.exists else {})
        meta = [", ".join(paper.authors[:6]) + (" et al." if len(paper.authors) > 6 else "")]
        if paper.published:
            meta.append(paper.published[:10])
        if not paper.id.startswith("sha256:"):
            meta.append(f"[arXiv:{paper.id}](https://arxiv.org/abs/{paper.id})")
        lines = [f"# {paper.title}", "", " · ".join(m for m in meta if m), ""]
        if assignments:
            lines += ["Topics: " + ", ".join(_link(topic_note_id(t), topic_titles[t]) for t in assignments), ""]
        if paper.abstract:
            lines += ["## Abstract", "", paper.abstract.strip(), ""]
        if note.exists and note.body.strip():
            lines += ["## My notes", "", note.body.strip(), ""]
            report.notes += 1
        name = f"papers/{safe_file_stem(paper.id)}.md"
        (target / name).write_text(_page(front, "\n".join(lines)), encoding="utf-8")
        report.files.append(name)
    report.papers = len(chosen)

    for stage in plan.stages:
        topic_links = []
        for topic in stage.topics:
            topic_links.append(f"- {_link(topic_note_id(topic.number), topic_titles[topic.number])}")
            lines = [f"# {topic_titles[topic.number]}", ""]
            if topic.title_en:
                lines += [f"*{topic.title_en}*", ""]
            lines += [f"Stage: {_link(f'stage-{stage.number}', f'Stage {stage.number}. {stage.title}')}", ""]
            if topic.content:
                lines += [topic.content.strip(), ""]
            mine = _note_body(vault, topic_note_id(topic.number))
            if mine:
                lines += ["## My notes", "", mine, ""]
            lines += ["## Papers", ""]
            lines += [f"- {_link(safe_file_stem(p.id), p.title)}" for p in by_topic[topic.number]] or ["(none yet)"]
            if topic.project:
                lines += ["", "## Practice project", "", topic.project.strip()]
            name = f"topics/{topic_note_id(topic.number)}.md"
            front = {"id": topic_note_id(topic.number), "title": topic.title, "stage": stage.number,
                     "papers": len(by_topic[topic.number])}
            (target / name).write_text(_page(front, "\n".join(lines)), encoding="utf-8")
            report.files.append(name)
            report.topics += 1
        lines = [f"# Stage {stage.number}. {stage.title}", ""]
        if stage.duration:
            lines += [f"Duration: {stage.duration}", ""]
        lines += ["## Topics", "", *topic_links]
        if stage.assessment:
            lines += ["", "## Assessment", "", stage.assessment.strip()]
        name = f"stages/stage-{stage.number}.md"
        (target / name).write_text(_page({"id": f"stage-{stage.number}", "title": stage.title}, "\n".join(lines)),
                                   encoding="utf-8")
        report.files.append(name)
        report.stages += 1

    journal = _note_body(vault, JOURNAL_ID)
    if journal:
        (target / "journal.md").write_text(_page({"id": JOURNAL_ID, "title": "Research journal"}, journal),
                                           encoding="utf-8")
        report.files.append("journal.md")
    index = [f"# {plan.title}", "", "## Stages", ""]
    index += [f"- {_link(f'stage-{s.number}', f'Stage {s.number}. {s.title}')}" for s in plan.stages]
    if journal:
        index += ["", "[[journal|Research journal]]"]
    (target / "index.md").write_text(_page({"title": plan.title, "exported": utc_now()}, "\n".join(index)),
                                     encoding="utf-8")
    report.files.append("index.md")
    return report


def _note_body(vault: NotesVault, note_id: str) -> str:
    path = vault.note_path(note_id)
    if not path.exists():
        return ""
    return split_front_matter(path.read_text(encoding="utf-8", errors="replace"))[1].strip()


# -- the progress report -----------------------------------------------------------------------


def progress_markdown(db: Database, plan: Plan, progress: Progress) -> str:
    """Where the learner stands, as Markdown to keep or share: position and pace, a table per
    stage, milestones, and the papers read."""
    current = progress.topic(progress.current_topic)
    totals = progress.totals
    lines = [
        f"# Progress: {plan.title}", "",
        f"*{utc_now()[:10]}* · started {progress.pace.start}", "",
        f"**Now:** stage {progress.current_stage}, topic {current.number}. {current.title}"
        + (f" ({current.title_en})" if current.title_en else ""), "",
        progress.pace.text, "",
        f"Read {totals.get('read', 0)} papers, {totals.get('notes', 0)} notes, "
        f"{totals.get('projects_done', 0)} of {len(progress.topics)} practice projects done, "
        f"{totals.get('stages_passed', 0)} of {len(progress.stages)} stage assessments passed; "
        f"{progress.cards_due} cards due.", "",
    ]
    by_number = {t.number: t for t in progress.topics}
    for stage in progress.stages:
        passed = f"passed {stage.assessment_passed_at[:10]}" if stage.assessment_passed_at else "not passed yet"
        lines += [f"## Stage {stage.number}. {stage.title}" + (f" ({stage.duration})" if stage.duration else ""),
                  "", f"Assessment: {passed}", "",
                  "| topic | read | reading | queued | notes | cards | mastery | project |",
                  "|---|---:|---:|---:|---:|---:|---:|---|"]
        for number in stage.topics:
            t = by_number[number]
            mastery = "–" if t.mastery is None else f"{round(100 * t.mastery)}%"
            project = (f"done {t.project_done_at[:10]}" if t.project_done_at else "done") if t.project_done else "open"
            name = f"{'▶ ' if number == progress.current_topic else ''}{t.number}. {_cell(t.title_en or t.title)}"
            lines.append(f"| {name} | {t.read} | {t.reading} | {t.queued} | {t.notes} | {t.cards} | {mastery} "
                         f"| {project} |")
        lines.append("")
    read = db.query("SELECT p.id, p.title, r.status_at, r.rating FROM papers p JOIN reading r ON r.paper_id = p.id"
                    " WHERE r.status = 'read' ORDER BY r.status_at DESC, p.id")
    lines += ["## Papers read", ""]
    lines += [f"- {(r['status_at'] or '')[:10]} {r['title']} ({r['id']})" + (f" — rated {r['rating']}" if r["rating"] else "")
              for r in read] or ["(none yet)"]
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "/").replace("\n", " ")
