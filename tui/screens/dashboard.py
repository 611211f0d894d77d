"""Dashboard: the plan's stages and topics with progress, pace, due cards, picks, runs, history."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Footer, Static

from kb.runs import last_run
from tui import queries
from tui.screens.base import PaperplanScreen, notify_error
from tui.widgets.area_bar import AreaBar
from tui.widgets.bars import bar, ratio_bar

if TYPE_CHECKING:
    from kb.progress import Progress
    from tui.widgets.history_plot import HistoryPlot

HISTORY_DAYS = 28


class DashboardScreen(PaperplanScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "refresh", "Refresh"),
        Binding("z", "quiz_current", "Quiz the current topic"),
    ]

    current_topic: int | None = None

    def compose(self) -> ComposeResult:
        yield AreaBar("dashboard")
        with Horizontal(id="dashboard"):
            with VerticalScroll(id="plan-progress"):
                yield Static(id="topics-table")
            with Vertical(id="dashboard-side"):
                yield Static(id="today", classes="panel")
                yield Static(id="picks", classes="panel")
                yield Static(id="runs", classes="panel")
                yield Static("", id="history-slot")
        yield Footer()

    def on_screen_resume(self) -> None:
        # After the first frame: the numbers need numpy and fsrs, which the frame need not wait for.
        self.call_after_refresh(self.action_refresh)

    def _plot(self) -> HistoryPlot:
        from tui.widgets.history_plot import HistoryPlot  # plotext: after the first frame

        found = self.query(HistoryPlot)
        if found:
            return found.first()
        plot = HistoryPlot(id="history")
        self.query_one("#dashboard-side").mount(plot)
        self.query_one("#history-slot").remove()
        return plot

    def action_refresh(self) -> None:
        svc = self.services
        now = svc.now()
        from kb.progress import compute_progress

        progress = self.guard("computing progress", lambda: compute_progress(
            svc.db, svc.plan, start_date=svc.start_date, now=now))
        self.query_one("#topics-table", Static).update(self._topics_table(progress))

        today = Text()
        if progress:
            self.current_topic = progress.current_topic
            position = progress.topic(progress.current_topic)
            today.append("Now  ", style="bold").append(f"第{progress.current_stage}阶段 · ")
            today.append(f"{position.number}. {position.title}\n")
            today.append("Pace  ", style="bold").append(progress.pace.text + "\n")
            today.append("Due today  ", style="bold").append(f"{progress.cards_due} cards")
        self.query_one("#today", Static).update(today)

        picks = self.guard("reading this week's picks", lambda: queries.weekly_picks(svc.db, now)) or []
        text = Text().append("This week's picks\n", style="bold")
        for p in picks:
            text.append(f"{p.rank}. ").append(p.title[:60]).append(f"  [{p.status}]\n", style="dim")
        if not picks:
            text.append("none yet (F6 to pick)", style="dim")
        self.query_one("#picks", Static).update(text)

        runs = Text().append("Nightly run\n", style="bold")
        last = self.guard("reading the last nightly run", lambda: last_run(svc.db, "nightly"))
        if last:
            state = "ok" if last["ok"] else ("running" if last["ok"] is None else "failed")
            runs.append(f"last: {last['started'][:16].replace('T', ' ')} ({state})\n")
        else:
            runs.append("last: never\n", style="dim")
        if svc.jobs is None:
            self._show_runs(runs, "")
        else:
            self._show_runs(runs, "…")
            self._load_next_run(runs)

        self._plot().show(self.guard(
            "reading the review history", lambda: queries.history(svc.db, HISTORY_DAYS, now)) or [])

    def action_quiz_current(self) -> None:
        self.paperplan.quiz_on(topic=self.current_topic)

    @work(thread=True, exclusive=True, exit_on_error=False, group="dashboard-jobs")
    def _load_next_run(self, runs: Text) -> None:
        """The schedule lives with the service (its job store loads slowly): read it off the UI thread."""
        jobs = self.services.jobs
        assert jobs is not None
        try:
            nightly = next((j for j in jobs.list() if j.id == "nightly"), None)
        except Exception as exc:
            notify_error(self.app, exc, "reading the service's schedule")
            nightly = None
        self.app.call_from_thread(self._show_runs, runs, nightly.next_run if nightly else "")

    def _show_runs(self, runs: Text, next_run: str) -> None:
        text = runs.copy()
        text.append(f"next: {next_run}" if next_run else "next: not scheduled", style="" if next_run else "dim")
        self.query_one("#runs", Static).update(text)

    def _topics_table(self, progress: Progress | None) -> Table:
        plan = self.services.plan
        table = Table(title=plan.title, expand=True, box=None, pad_edge=False, title_style="bold")
        table.add_column("#", justify="right", width=2)
        table.add_column("topic", ratio=1, no_wrap=True, overflow="ellipsis")
        table.add_column("papers read", width=16, no_wrap=True)
        table.add_column("mastery", width=15, no_wrap=True)
        by_number = {t.number: t for t in progress.topics} if progress else {}
        passed = {s.number for s in progress.stages if s.assessment_passed} if progress else set()
        for stage in plan.stages:
            topics = [by_number[t.number] for t in stage.topics if t.number in by_number]
            title = Text(f"第{stage.number}阶段 {stage.title}（{stage.duration}）", style="bold cyan")
            if stage.number in passed:
                title.append(" ✓ assessed", style="green")
            table.add_row("", title, ratio_bar(sum(t.read for t in topics), sum(t.papers for t in topics)), "")
            for topic in stage.topics:
                t = by_number.get(topic.number)
                name = Text(topic.title)
                if t and t.project_done:
                    name.append(" ✓", style="green")
                if progress and topic.number == progress.current_topic:
                    name.stylize("bold")
                    name.append(" ◀", style="yellow")
                mastery = Text("–", style="dim")
                if t and t.mastery is not None:
                    mastery = bar(t.mastery, 10, "magenta") + Text(f" {t.mastery:.0%}")
                table.add_row(str(topic.number), name, ratio_bar(t.read if t else 0, t.papers if t else 0), mastery)
        return table
