"""The weekly digest: one Markdown file that reads well in any viewer (GitHub, Obsidian, less).

Sections: the week's picks with their reasons and abstracts, new arrivals per topic, progress
and pace, cards due, and any extra sections other parts hand in (e.g. the frontier watch).
Paper text is untrusted: titles and abstracts are flattened to plain text and Markdown's
active characters escaped, so a paper cannot inject links, HTML or headings.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from kb import papers
from kb.db import Database
from kb.plan import Plan
from kb.progress import Progress
from kb.types import Paper

ABSTRACT_CHARS = 1200
ARRIVALS_PER_TOPIC = 8
_MARKDOWN_ACTIVE = re.compile(r"([\\`*_\[\]<>|#!])")


def plain(text: str, limit: int | None = None) -> str:
    """One line of untrusted text made inert for Markdown, cut at a word boundary."""
    flat = " ".join(str(text).split())
    if limit and len(flat) > limit:
        flat = flat[:limit].rsplit(" ", 1)[0] + " …"
    return _MARKDOWN_ACTIVE.sub(r"\\\1", flat)


def _link(url: str) -> str:
    # Only http(s) links to where the paper lives; anything else is dropped, not rendered.
    return f" · <{url}>" if re.match(r"^https?://[^\s<>]+$", url or "") else ""


@dataclass
class Arrival:
    paper: Paper
    topic: int | None


def arrivals(db: Database, start: date, end: date) -> list[Arrival]:
    """Papers added to the KB in [start, end) by ingestion (not the plan's own seed)."""
    found = papers.list_papers(db, "added_at >= ? AND added_at < ? AND source != 'snapshot'",
                               (start.isoformat(), end.isoformat()))
    out = []
    for p in found:
        assigned = papers.topic_assignments(db, p.id)
        out.append(Arrival(p, assigned[0].topic if assigned else None))
    return out


def render_digest(*, week: str, start: date, end: date, plan: Plan, progress: Progress, picks: Sequence,
                  new_papers: Sequence[Arrival], extra: Sequence[tuple[str, str]] = ()) -> str:
    """The digest as Markdown. `picks` are agent.recommend.Pick objects; `extra` is (heading, Markdown)."""
    last_day = end.toordinal() - 1
    lines = [f"# Reading digest, week {week}", "",
             f"{start.isoformat()} to {date.fromordinal(last_day).isoformat()} · {plan.title}", ""]
    lines += ["## This week's picks", ""]
    if not picks:
        lines += ["Nothing unread maps to your plan yet: run `paperplan ingest --new` to fetch new papers.", ""]
    for i, pick in enumerate(picks, start=1):
        topics = ", ".join(f"topic {t}" for t in pick.topics)
        lines += [f"### {i}. {plain(pick.title)}", "",
                  f"arXiv {pick.paper_id} · {topics}{_link(pick.url)}" if not pick.paper_id.startswith("sha256:")
                  else f"{pick.paper_id} · {topics}", "",
                  f"**Why:** {plain(pick.why)}", ""]
        if pick.abstract:
            lines += [f"> {plain(pick.abstract, ABSTRACT_CHARS)}", ""]
        lines += [f"Mark it: `paperplan read {pick.paper_id}`, then `paperplan rate {pick.paper_id} --up` "
                  "(or --down, --too-hard, --too-easy).", ""]
    lines += _arrivals_section(plan, new_papers)
    lines += _progress_section(plan, progress)
    lines += ["## Cards due", ""]
    if progress.cards_due:
        lines += [f"{progress.cards_due} card{'s' if progress.cards_due != 1 else ''} due now: run `paperplan quiz`.",
                  ""]
    else:
        lines += ["No cards due.", ""]
    for heading, body in extra:
        lines += [f"## {plain(heading)}", "", body.strip(), ""]
    return "\n".join(lines).rstrip() + "\n"


def _arrivals_section(plan: Plan, new_papers: Sequence[Arrival]) -> list[str]:
    lines = ["## New arrivals by topic", ""]
    if not new_papers:
        return [*lines, "No new papers this week.", ""]
    by_topic: dict[int | None, list[Arrival]] = {}
    for a in new_papers:
        by_topic.setdefault(a.topic, []).append(a)
    for topic in sorted(by_topic, key=lambda t: (t is None, t or 0)):
        items = by_topic[topic]
        heading = "Not on a plan topic" if topic is None else \
            f"Topic {topic} {plain(plan.topic(topic).title_en or plan.topic(topic).title)}"
        lines += [f"### {heading} ({len(items)})", ""]
        for a in items[:ARRIVALS_PER_TOPIC]:
            kind = "blog" if a.paper.kind == "blog" else a.paper.id
            lines.append(f"- {plain(a.paper.title, 200)} ({kind}){_link(a.paper.url)}")
        if len(items) > ARRIVALS_PER_TOPIC:
            lines.append(f"- and {len(items) - ARRIVALS_PER_TOPIC} more")
        lines.append("")
    return lines


def _progress_section(plan: Plan, progress: Progress) -> list[str]:
    current = progress.topic(progress.current_topic)
    stage = plan.stage(progress.current_stage)
    lines = ["## Progress and pace", "",
             f"You are in stage {stage.number} ({stage.title}, {stage.duration}), "
             f"topic {current.number} {plain(current.title_en or current.title)}. {progress.pace.text}", "",
             "| Topic | Read | Reading | Queued | Notes | Cards (due) | Mastery | Project |",
             "|---|---:|---:|---:|---:|---:|---:|:---:|"]
    for t in progress.topics:
        mastery = "" if t.mastery is None else f"{round(100 * t.mastery)}%"
        marker = " ◀" if t.number == progress.current_topic else ""
        project = "✓" if t.project_done else ("" if not t.project else "·")
        lines.append(f"| {t.number}. {plain(t.title_en or t.title)}{marker} | {t.read} | {t.reading} | {t.queued} "
                     f"| {t.notes} | {t.cards} ({t.due}) | {mastery} | {project} |")
    passed = [str(s.number) for s in progress.stages if s.assessment_passed]
    lines += ["", f"Stage assessments passed: {', '.join(passed) if passed else 'none yet'}.", ""]
    return lines
