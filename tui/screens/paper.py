"""Paper: metadata, abstract, topics (confirm or correct), sections, the notes editor, rating and status."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import DataTable, Footer, Label, Static, TextArea

from kb import progress
from kb.types import pages_label
from tui import queries
from tui.screens.base import PaperplanScreen, notify_error
from tui.screens.topics_dialog import TopicsDialog
from tui.services import NoteText
from tui.widgets.area_bar import AreaBar

STATUS_CYCLE = ("new", "queued", "reading", "read")
RATINGS = {"up": "+ up", "down": "− down", "too-hard": "too hard", "too-easy": "too easy", "": "not rated"}



class PaperScreen(PaperplanScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back"),
        Binding("s", "cycle_status", "Status"),
        Binding("plus,equals_sign", "rate('up')", "Rate +"),
        Binding("minus", "rate('down')", "Rate −", show=False),
        Binding("h", "rate('too-hard')", "Too hard", show=False),
        Binding("y", "confirm_topic", "Confirm topic", show=False),
        Binding("c", "correct_topics", "Correct topics", show=False),
        Binding("e", "edit_note", "Edit note"),
        Binding("ctrl+s", "save_note", "Save note", priority=True),
        Binding("z", "quiz", "Quiz me"),
        Binding("a", "ask", "Ask about this"),
    ]

    def __init__(self, paper_id: str, chunk_id: str | None = None) -> None:
        super().__init__()
        self.paper_id = paper_id
        self.chunk_id = chunk_id
        self.detail: queries.PaperDetail | None = None
        self._note: NoteText | None = None
        self._saved_text = ""

    def compose(self) -> ComposeResult:
        yield AreaBar(self.paperplan.current_mode, f"paper {self.paper_id}")
        with Horizontal(id="paper"):
            with VerticalScroll(id="paper-info"):
                yield Static(id="paper-meta")
                yield Static(id="passage", classes="panel")
                yield Static(id="abstract")
                yield Label("Topics  (y confirms the selected one · c corrects it · − rates down)", classes="heading")
                yield DataTable(id="topics", cursor_type="row")
                yield Label("Sections  (Enter shows the passage)", classes="heading")
                yield DataTable(id="sections", cursor_type="row")
            with Vertical(id="notes-pane"):
                yield Label("Notes", id="notes-title", classes="heading")
                yield TextArea(id="note", soft_wrap=True, show_line_numbers=False)
        yield Footer()

    def on_mount(self) -> None:
        topics = self.query_one("#topics", DataTable)
        topics.add_columns("#", "topic", "score", "how", "reason")
        sections = self.query_one("#sections", DataTable)
        sections.add_columns("section", "page")
        self.refresh_detail()
        self._load_note()
        if self.chunk_id:
            self.show_passage(self.chunk_id, cited=True)
        else:
            self.query_one("#passage", Static).display = False

    def refresh_detail(self) -> None:
        detail = self.guard(f"reading paper {self.paper_id}", lambda: queries.paper_detail(
            self.services.db, self.paper_id))
        if detail is None:
            self.notify(f"paper {self.paper_id} is not in the knowledge base", severity="error")
            return
        self.detail = detail
        p = detail.paper
        self.sub_title = p.id
        meta = Text()
        meta.append(" ".join(p.title.split()), style="bold").append("\n")
        if p.authors:
            shown = ", ".join(p.authors[:6]) + (f" and {len(p.authors) - 6} more" if len(p.authors) > 6 else "")
            meta.append(shown + "\n", style="italic")
        facts = [p.id, p.venue or p.journal_ref or p.primary_category, (p.published or "")[:10], p.source,
                 f"full text: {p.fulltext}"]
        meta.append(" · ".join(f for f in facts if f) + "\n", style="dim")
        meta.append("status: ", style="bold").append(detail.status)
        meta.append(" · ").append("rating: ", style="bold").append(RATINGS.get(detail.rating, detail.rating))
        if p.url:
            meta.append(f"\n{p.url}", style="underline dim")
        self.query_one("#paper-meta", Static).update(meta)
        abstract = Text().append("Abstract\n", style="bold")
        abstract.append(p.abstract or "No abstract known yet (fetched by the first online ingest).",
                        style="" if p.abstract else "dim")
        self.query_one("#abstract", Static).update(abstract)

        plan = self.services.plan
        titles = {t.number: t.title for t in plan.topics}
        topics = self.query_one("#topics", DataTable)
        topics.clear()
        for a in detail.assignments:
            how = f"{a.method}{' ✓' if a.confirmed == 1 else ''}"
            topics.add_row(str(a.topic), titles.get(a.topic, "?"), f"{a.score:.2f}", how,
                           a.reason[:80], key=str(a.topic))
        sections = self.query_one("#sections", DataTable)
        sections.clear()
        for s in detail.sections:
            sections.add_row(s.name[:50], str(s.page_first or ""), key=s.chunk_ids[0])

    # -- passages ------------------------------------------------------------------------

    def show_passage(self, chunk_id: str, cited: bool = False) -> None:
        chunk = self.guard(f"reading passage {chunk_id}", lambda: queries.chunk(self.services.db, chunk_id))
        panel = self.query_one("#passage", Static)
        if chunk is None:
            self.notify(f"passage {chunk_id} is no longer in the knowledge base", severity="warning")
            panel.display = False
            return
        text = Text().append("Cited passage" if cited else "Passage", style="bold")
        where = " · ".join(x for x in (chunk.section, pages_label(chunk.page_first, chunk.page_last)) if x)
        text.append(f"  {where}\n" if where else "\n", style="dim")
        text.append(chunk.text)
        panel.update(text)
        panel.display = True
        self.query_one("#paper-info", VerticalScroll).scroll_home(animate=False)
        sections = self.query_one("#sections", DataTable)
        for index, s in enumerate(self.detail.sections if self.detail else ()):
            if chunk_id in s.chunk_ids:
                sections.move_cursor(row=index)

    @on(DataTable.RowSelected, "#sections")
    def _section_selected(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value:
            self.show_passage(str(event.row_key.value))

    # -- reading state -------------------------------------------------------------------

    def action_cycle_status(self) -> None:
        if not self.detail:
            return
        current = self.detail.status
        following = STATUS_CYCLE[(STATUS_CYCLE.index(current) + 1) % len(STATUS_CYCLE)] \
            if current in STATUS_CYCLE else "queued"
        self.guard("saving the reading status", lambda: progress.set_reading(self.services.db, self.paper_id, following))
        self.refresh_detail()

    def action_rate(self, rating: str) -> None:
        if self.detail:
            self.guard("saving the rating", lambda: progress.rate(self.services.db, self.paper_id, rating))
            self.refresh_detail()

    # -- topics --------------------------------------------------------------------------

    def _selected_topic(self) -> int | None:
        table = self.query_one("#topics", DataTable)
        if not table.row_count:
            return None
        return int(str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value))

    def action_confirm_topic(self) -> None:
        if self.services.topics is None:
            self.notify("confirming topics is not available yet", severity="warning")
            return
        if (topic := self._selected_topic()) is not None:
            self.notify(f"confirming topic {topic}…")
            self._review_topics(topic, None)

    def action_correct_topics(self) -> None:
        if self.services.topics is None:
            self.notify("correcting topics is not available yet", severity="warning")
            return
        wrong = self._selected_topic()
        if wrong is None:
            return

        def apply(right: int | None) -> None:
            if right is not None and right != wrong:
                self.notify(f"moving the paper from topic {wrong} to {right}…")
                self._review_topics(wrong, right)

        self.app.push_screen(TopicsDialog(self.services.plan, wrong), apply)

    @work(thread=True, exclusive=True, exit_on_error=False, group="topics")
    def _review_topics(self, topic: int, right: int | None) -> None:
        """Confirm `topic`, or correct it to `right`; the mapper re-embeds its profiles (slow)."""
        port = self.services.topics
        assert port is not None
        try:
            if right is None:
                port.confirm(self.paper_id, topic)
            else:
                port.correct(self.paper_id, topic, right)
        except Exception as exc:
            notify_error(self.app, exc, f"saving your topic for {self.paper_id}")
            return
        self.app.call_from_thread(self.refresh_detail)

    # -- notes ---------------------------------------------------------------------------

    def _load_note(self) -> None:
        port = self.services.notes
        editor = self.query_one("#note", TextArea)
        title = self.query_one("#notes-title", Label)
        if port is None:
            editor.load_text("")
            editor.read_only = True
            title.update("Notes: not available yet")
            return
        note = self.guard(f"opening the note of {self.paper_id}", lambda: port.load(self.paper_id))
        if note is None:
            editor.read_only = True
            return
        self._note = note
        self._saved_text = note.text
        editor.load_text(note.text)
        title.update(f"Notes · {note.path.name}  (e edit · ctrl+s save)")

    @property
    def note_dirty(self) -> bool:
        return self._note is not None and self.query_one("#note", TextArea).text != self._saved_text

    def action_edit_note(self) -> None:
        self.query_one("#note", TextArea).focus()

    def action_save_note(self) -> bool:
        port, note = self.services.notes, self._note
        if port is None or note is None:
            self.notify("notes are not available yet", severity="warning")
            return False
        text = self.query_one("#note", TextArea).text
        try:
            saved = port.save(self.paper_id, text, note.version)
        except Exception as exc:
            notify_error(self.app, exc, f"saving the note {note.path}")
            return False
        self._note, self._saved_text = saved, text
        self.notify(f"note saved to {saved.path}")
        return True

    # -- leaving -------------------------------------------------------------------------

    def action_back(self) -> None:
        # Leaving never loses an edit: save first, and stay when the save failed.
        if self.note_dirty and not self.action_save_note():
            return
        self.app.pop_screen()

    def action_quiz(self) -> None:
        if self.note_dirty:
            self.action_save_note()
        self.paperplan.quiz_on(paper_id=self.paper_id)

    def action_ask(self) -> None:
        if self.note_dirty:
            self.action_save_note()
        self.paperplan.ask_about(self.paper_id)
