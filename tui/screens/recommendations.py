"""Recommendations: the week's picks with why each was chosen; rate, queue or dismiss them."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Footer, Label, Static

from kb import progress
from tui import queries
from tui.screens.base import PaperplanScreen, notify_error
from tui.widgets.area_bar import AreaBar


class RecommendationsScreen(PaperplanScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("plus,equals_sign", "rate('up')", "Rate +"),
        Binding("minus", "rate('down')", "Rate −"),
        Binding("u", "queue", "Queue"),
        Binding("x", "dismiss_pick", "Dismiss"),
        Binding("g", "generate", "Pick now"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.picks: list[queries.Pick] = []

    def compose(self) -> ComposeResult:
        yield AreaBar("picks")
        yield Label("", id="picks-week", classes="heading")
        yield DataTable(id="picks-table", cursor_type="row")
        yield Static("", id="why", classes="panel")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#picks-table", DataTable)
        table.add_column("#", width=2)
        table.add_column("paper and why", width=86)
        table.add_column("status", width=9)
        table.add_column("rating", width=8)

    def on_screen_resume(self) -> None:
        self.refresh_picks()

    def refresh_picks(self) -> None:
        now = self.services.now()
        self.picks = self.guard("reading this week's picks", lambda: queries.weekly_picks(self.services.db, now)) or []
        table = self.query_one("#picks-table", DataTable)
        row = table.cursor_row
        table.clear()
        for p in self.picks:
            # The reason sits under the title: a pick is only useful with its why.
            cell = Text().append(p.title, style="bold").append(f"\n{p.why}", style="italic")
            table.add_row(str(p.rank), cell, p.status, p.rating, height=None, key=p.paper_id)
        if self.picks:
            table.move_cursor(row=min(row, len(self.picks) - 1))
        from agent.recommend import iso_week  # numpy: when the screen is first shown

        heading = f"Picks for {iso_week(now.date())}  (Enter opens a paper)"
        if not self.picks:
            heading = "No picks yet: press g to pick this week's papers" if self.services.recommend \
                else "No picks yet, and recommending is not available yet"
        self.query_one("#picks-week", Label).update(heading)
        self._show_why()

    def _current(self) -> queries.Pick | None:
        table = self.query_one("#picks-table", DataTable)
        if not self.picks or table.cursor_row >= len(self.picks):
            return None
        return self.picks[table.cursor_row]

    @on(DataTable.RowHighlighted, "#picks-table")
    def _show_why(self) -> None:
        pick = self._current()
        self.query_one("#why", Static).update(
            Text.assemble(("Abstract  ", "bold"), pick.abstract or "(not known yet)") if pick else Text(""))

    @on(DataTable.RowSelected, "#picks-table")
    def _open(self) -> None:
        if pick := self._current():
            self.paperplan.open_paper(pick.paper_id)

    def action_rate(self, rating: str) -> None:
        if pick := self._current():
            self.guard("saving the rating", lambda: progress.rate(self.services.db, pick.paper_id, rating))
            self.refresh_picks()

    def action_queue(self) -> None:
        if pick := self._current():
            self.guard("queueing the paper",
                       lambda: progress.set_reading(self.services.db, pick.paper_id, "queued"))
            self.notify(f"queued {pick.paper_id}")
            self.refresh_picks()

    def action_dismiss_pick(self) -> None:
        if pick := self._current():
            self.guard("dismissing the paper",
                       lambda: progress.set_reading(self.services.db, pick.paper_id, "dismissed"))
            self.refresh_picks()

    def action_generate(self) -> None:
        if self.services.recommend is None:
            self.notify("recommending is not available yet", severity="warning")
            return
        self.query_one("#picks-week", Label).update("picking this week's papers…")
        self._generate()

    @work(thread=True, exclusive=True, exit_on_error=False, group="recommend")
    def _generate(self) -> None:
        recommend = self.services.recommend
        assert recommend is not None
        try:
            recommend(self.services.now())
        except Exception as exc:
            notify_error(self.app, exc, "picking this week's papers")
        self.app.call_from_thread(self.refresh_picks)
