"""Library: every paper in one table, filtered by topic, stage, status and source, searched as you type."""

from __future__ import annotations

import time
from contextlib import suppress
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.timer import Timer
from textual.widgets import DataTable, Footer, Input, Select, Static
from textual.widgets.data_table import RowDoesNotExist

from tui import queries
from tui.screens.base import PaperplanScreen
from tui.widgets.area_bar import AreaBar

STATUSES = ("new", "queued", "reading", "read", "dismissed")
# A table of thousands of rows costs seconds to build on a small machine; the newest papers
# that match are shown and the count says how many more a search or filter would reveal.
MAX_ROWS = 400
SEARCH_PAUSE_S = 0.2  # rebuild once typing pauses, not at every keystroke
SOURCES = ("snapshot", "arxiv", "local", "feed")


class LibraryScreen(PaperplanScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "focus_search", "Search"),
        Binding("r", "refresh", "Refresh"),
        Binding("escape", "clear_filters", "Clear filters"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._rows: list[queries.LibraryRow] = []
        self._loaded_at = -1.0
        self._search_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        plan = self.services.plan
        yield AreaBar("library")
        with Horizontal(id="library-filters"):
            yield Input(placeholder="search title, id or venue", id="search")
            yield Select([(f"{t.number}. {t.title}", t.number) for t in plan.topics], prompt="topic", id="topic")
            yield Select([(f"第{s.number}阶段 {s.title}", s.number) for s in plan.stages], prompt="stage",
                         id="stage")
            yield Select([(s, s) for s in STATUSES], prompt="status", id="status")
            yield Select([(s, s) for s in SOURCES], prompt="source", id="source")
        yield DataTable(id="papers", cursor_type="row", zebra_stripes=True)
        yield Static(id="library-count")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#papers", DataTable)
        table.add_column("title", key="title", width=47)
        table.add_column("topics", key="topics", width=20)
        table.add_column("venue", key="venue", width=12)
        table.add_column("date", key="date", width=10)
        table.add_column("status", key="status", width=9)
        table.add_column("rating", key="rating", width=8)
        table.focus()

    def on_screen_resume(self) -> None:
        if time.monotonic() - self._loaded_at > 1.0:  # Textual may resume a new screen twice
            self.action_refresh()

    def action_refresh(self) -> None:
        self._rows = self.guard("reading the library", lambda: queries.library_rows(
            self.services.db, self.services.plan)) or []
        self._loaded_at = time.monotonic()
        self._show()

    def _filtered(self) -> list[queries.LibraryRow]:
        needle = self.query_one("#search", Input).value.strip()
        topic, stage, status, source = (self.query_one(f"#{name}", Select).value
                                        for name in ("topic", "stage", "status", "source"))
        rows = self._rows
        if needle:
            rows = [r for r in rows if r.matches(needle)]
        if topic is not Select.NULL:
            rows = [r for r in rows if topic in r.topics]
        if stage is not Select.NULL:
            rows = [r for r in rows if stage in r.stages]
        if status is not Select.NULL:
            rows = [r for r in rows if r.status == status]
        if source is not Select.NULL:
            rows = [r for r in rows if r.source == source]
        return rows

    def _show(self) -> None:
        table = self.query_one("#papers", DataTable)
        selected = self._selected_id()
        table.clear()
        rows = self._filtered()
        for r in rows[:MAX_ROWS]:
            table.add_row(r.title, self._topics_cell(r.topics), r.venue[:12], r.published, r.status,
                          r.rating, key=r.id)
        if selected:
            with suppress(RowDoesNotExist):  # the selected paper is filtered out: stay at the top
                table.move_cursor(row=table.get_row_index(selected))
        count = f"{len(rows)} of {len(self._rows)} papers"
        if len(rows) > MAX_ROWS:
            count += f" · showing the newest {MAX_ROWS}: search or filter to narrow"
        self.query_one("#library-count", Static).update(count)

    def _topics_cell(self, topics: tuple[int, ...]) -> str:
        """'3 多模态融合与对齐技术 +1': the best topic by name (the table cuts it by cell width)."""
        if not topics:
            return ""
        title = next((t.title for t in self.services.plan.topics if t.number == topics[0]), "")
        return f"{topics[0]} {title}" + (f" +{len(topics) - 1}" if len(topics) > 1 else "")

    def _selected_id(self) -> str | None:
        table = self.query_one("#papers", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        return str(key.value) if key.value is not None else None

    @on(Input.Changed, "#search")
    def _search_changed(self) -> None:
        if self._search_timer is not None:
            self._search_timer.stop()
        self._search_timer = self.set_timer(SEARCH_PAUSE_S, self._show)

    @on(Select.Changed)
    def _filters_changed(self) -> None:
        self._show()

    @on(Input.Submitted, "#search")
    def _search_done(self) -> None:
        if self._search_timer is not None:
            self._search_timer.stop()
        self._show()
        self.query_one("#papers", DataTable).focus()

    @on(DataTable.RowSelected, "#papers")
    def _open(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value:
            self.paperplan.open_paper(str(event.row_key.value))

    def action_focus_search(self) -> None:
        self.query_one("#search", Input).focus()

    def action_clear_filters(self) -> None:
        self.query_one("#search", Input).value = ""
        for name in ("topic", "stage", "status", "source"):
            self.query_one(f"#{name}", Select).clear()
        self._show()  # clearing is one deliberate act: show everything now, not after the typing pause
        self.query_one("#papers", DataTable).focus()
