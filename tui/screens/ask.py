"""Ask: a chat with streamed, cited answers; Enter on a citation opens the paper at that passage."""

from __future__ import annotations

import threading
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Footer, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from kb import papers
from tui.screens.base import PaperplanScreen, notify_error
from tui.services import Answer, Citation
from tui.widgets.area_bar import AreaBar
from tui.widgets.unavailable import Unavailable


def citation_label(c: Citation) -> Text:
    where = " · ".join(x for x in (c.section, c.pages) if x)
    text = Text.assemble((f"[{c.number}] ", "bold"), c.title[:70])
    if where:
        text.append(f"\n    {where}", style="dim")
    if c.quote:
        text.append(f"\n    “{c.quote[:140]}”", style="italic")
    return text


class AskScreen(PaperplanScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+l", "focus_citations", "Citations"),
        Binding("ctrl+x", "clear_paper", "Ask about all papers"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.paper_id: str | None = None
        self.citations: list[Citation] = []
        self._streaming: Static | None = None
        self._streamed = ""
        self._warmed = False
        self._warm_lock = threading.Lock()

    def compose(self) -> ComposeResult:
        yield AreaBar("ask")
        if self.services.ask is None:
            yield Unavailable("Asking questions", "The cited Q&A capability is not wired into this build.")
            yield Footer()
            return
        with Horizontal(id="ask"):
            with Vertical(id="chat-pane"):
                yield Label("Asking about every paper in the knowledge base", id="ask-scope", classes="heading")
                yield VerticalScroll(id="chat")
                yield Static("", id="ask-state")
                yield Input(placeholder="Ask a question and press Enter", id="question")
            with Vertical(id="citations-pane"):
                yield Label("Citations  (Enter opens the passage)", classes="heading")
                yield OptionList(id="citations")
        yield Footer()

    def on_screen_resume(self) -> None:
        if self.services.ask is not None:
            self._show_scope()
            self.query_one("#question", Input).focus()
            if not self._warmed and self.services.warm_up is not None:
                self._warm_up()

    @work(thread=True, exit_on_error=False, group="warm-up")
    def _warm_up(self) -> None:
        """Load the models while the learner types the first question."""
        try:
            self._ensure_warm()
        except Exception as exc:
            self.app.call_from_thread(self._set_state, "")
            notify_error(self.app, exc, "loading the models")

    def _ensure_warm(self) -> None:
        """Once: the embedder, the vector store and the LLM. An answer waits here for a load in progress."""
        warm_up = self.services.warm_up
        with self._warm_lock:
            if self._warmed or warm_up is None:
                return
            self.app.call_from_thread(self._set_state, "loading models… (the first time takes a little while)")
            warm_up()
            self._warmed = True
            self.app.call_from_thread(self._set_state, "ready")

    def request(self, paper_id: str | None) -> None:
        """Ask about one paper (None: every paper); shown now, or when the screen shows."""
        self.paper_id = paper_id
        if self.is_mounted and self.is_current:
            self._show_scope()

    def _show_scope(self) -> None:
        paper_id = self.paper_id
        if self.services.ask is None:
            return
        label = "Asking about every paper in the knowledge base"
        if paper_id:
            paper = self.guard(f"reading paper {paper_id}", lambda: papers.get_paper(self.services.db, paper_id))
            label = f"Asking about {paper.title if paper else paper_id}  (ctrl+x: all papers)"
        self.query_one("#ask-scope", Label).update(label)

    def action_clear_paper(self) -> None:
        self.request(None)

    def action_focus_citations(self) -> None:
        if self.services.ask is not None:
            self.query_one("#citations", OptionList).focus()

    @on(Input.Submitted, "#question")
    def _ask(self, event: Input.Submitted) -> None:
        question = event.value.strip()
        if not question:
            return
        event.input.value = ""
        chat = self.query_one("#chat", VerticalScroll)
        chat.mount(Static(Text(question, style="bold"), classes="question"))
        self._streamed = ""
        self._streaming = Static("", classes="answer")
        chat.mount(self._streaming)
        chat.scroll_end(animate=False)
        self._answer(question, self.paper_id)

    def _set_state(self, text: str) -> None:
        self.query_one("#ask-state", Static).update(text)

    def _append(self, piece: str) -> None:
        self._streamed += piece
        if self._streaming is not None:
            self._streaming.update(Text(self._streamed))
            self.query_one("#chat", VerticalScroll).scroll_end(animate=False)

    def _finish(self, answer: Answer) -> None:
        if self._streaming is not None:
            self._streaming.update(Text(answer.text or self._streamed))
        self.citations = list(answer.citations)
        options = self.query_one("#citations", OptionList)
        options.clear_options()
        options.add_options([Option(citation_label(c), id=str(c.number)) for c in self.citations])
        self._set_state(f"{len(self.citations)} citation(s) · ctrl+l to browse them" if self.citations
                        else "no passage in the knowledge base supports an answer")
        self.query_one("#chat", VerticalScroll).scroll_end(animate=False)

    @work(thread=True, exclusive=True, exit_on_error=False, group="ask")
    def _answer(self, question: str, paper_id: str | None) -> None:
        svc = self.services
        ask = svc.ask
        assert ask is not None
        try:
            self._ensure_warm()
            self.app.call_from_thread(self._set_state, "thinking…")
            answer = ask(question, paper_id, lambda piece: self.app.call_from_thread(self._append, piece))
        except Exception as exc:
            self.app.call_from_thread(self._set_state, "")
            notify_error(self.app, exc, "answering the question")
            return
        self.app.call_from_thread(self._finish, answer)

    @on(OptionList.OptionSelected, "#citations")
    def _open_citation(self, event: OptionList.OptionSelected) -> None:
        number = int(event.option.id or 0)
        citation = next((c for c in self.citations if c.number == number), None)
        if citation:
            self.paperplan.open_paper(citation.paper_id, citation.chunk_id or None)
