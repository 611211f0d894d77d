"""Dashboard: the plan's stages and topics with progress, pace, due cards, picks, runs, history."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Footer, Header, Static

from kb.runs import last_run
from tui import queries
from tui.screens.base import PaperplanScreen
from tui.widgets.bars import bar, ratio_bar
from tui.widgets.history_plot import HistoryPlot

HISTORY_DAYS = 28


class DashboardScreen(PaperplanScreen):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("r", "refresh", "Refresh")]

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="dashboard"):
            with VerticalScroll(id="plan-progress"):
                yield Static(id="topics-table")
            with Vertical(id="dashboard-side"):
                yield Static(id="today", classes="panel")
                yield Static(id="picks", classes="panel")
                yield Static(id="runs", classes="panel")
                yield HistoryPlot(id="history")
        yield Footer()

    def on_screen_resume(self) -> None:
        self.action_refresh()

    def action_refresh(self) -> None:
        svc = self.services
        now = svc.now()
        progress = svc.progress
        mastery = (self.guard("reading topic mastery", lambda: progress.mastery(now)) if progress else None) or {}
        counts = self.guard("counting papers per topic", lambda: queries.topic_counts(svc.db)) or {}
        self.query_one("#topics-table", Static).update(self._topics_table(counts, mastery, progress is not None))

        today = Text()
        if progress:
            pace = self.guard("computing pace", lambda: progress.pace(now))
            due = self.guard("counting due cards", lambda: progress.due_count(now))
            today.append("Pace  ", style="bold").append(pace.summary if pace else "–").append("\n")
            today.append("Due today  ", style="bold").append(f"{due if due is not None else '–'} cards")
        else:
            today.append("Pace and due cards are not available yet (quiz and progress are not wired in).",
                         style="dim")
        self.query_one("#today", Static).update(today)

        picks = self.guard("reading this week's picks", lambda: queries.weekly_picks(svc.db, now)) or []
        text = Text("This week's picks\n", style="bold")
        for p in picks:
            text.append(f"{p.rank}. ").append(p.title[:60]).append(f"  [{p.status}]\n", style="dim")
        if not picks:
            text.append("none yet", style="dim")
        self.query_one("#picks", Static).update(text)

        runs = Text("Nightly run\n", style="bold")
        last = self.guard("reading the last nightly run", lambda: last_run(svc.db, "nightly"))
        if last:
            state = "ok" if last["ok"] else ("running" if last["ok"] is None else "failed")
            runs.append(f"last: {last['started'][:16].replace('T', ' ')} ({state})\n")
        else:
            runs.append("last: never\n", style="dim")
        jobs = svc.jobs
        listed = (self.guard("listing the scheduled jobs", jobs.list) if jobs else None) or []
        nightly = next((j for j in listed if j.id == "nightly"), None)
        runs.append(f"next: {nightly.next_run}" if nightly and nightly.next_run else "next: not scheduled",
                    style="" if nightly and nightly.next_run else "dim")
        self.query_one("#runs", Static).update(runs)

        history = self.guard("reading review history", lambda: progress.history(HISTORY_DAYS, now)) if progress else None
        self.query_one(HistoryPlot).show(history or [])

    def _topics_table(self, counts: dict[int, queries.TopicCounts], mastery: dict[int, float],
                      has_mastery: bool) -> Table:
        plan = self.services.plan
        table = Table(title=plan.title, expand=True, box=None, pad_edge=False, title_style="bold")
        table.add_column("#", justify="right", width=2)
        table.add_column("topic", ratio=1, no_wrap=True, overflow="ellipsis")
        table.add_column("papers read", width=16, no_wrap=True)
        table.add_column("mastery", width=15, no_wrap=True)
        for stage in plan.stages:
            read = sum(counts[t.number].read for t in stage.topics if t.number in counts)
            total = sum(counts[t.number].papers for t in stage.topics if t.number in counts)
            table.add_row("", Text(f"第{stage.number}阶段 {stage.title}（{stage.duration}）", style="bold cyan"),
                          ratio_bar(read, total), Text(""), end_section=False)
            for topic in stage.topics:
                c = counts.get(topic.number, queries.TopicCounts(0, 0))
                m = mastery.get(topic.number)
                mastery_cell = bar(m, 10, "magenta") + Text(f" {m:.0%}" if m is not None else "")
                if not has_mastery:
                    mastery_cell = Text("–", style="dim")
                table.add_row(str(topic.number), Text(topic.title), ratio_bar(c.read, c.papers), mastery_cell)
        return table
