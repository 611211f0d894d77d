"""Quiz: one session of cards; after each answer, the verdict and the passage it came from."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.widgets import Footer, Input, Label, Static

from tui.screens.base import PaperplanScreen, notify_error
from tui.services import QuizCard, QuizResult
from tui.widgets.area_bar import AreaBar
from tui.widgets.unavailable import Unavailable

LETTERS = "ABCDEFGH"


def resolve_choice(card: QuizCard, given: str) -> str:
    """For multiple choice, 'b' or 'B' means the second option's text; anything else stays."""
    given = given.strip()
    if card.options and len(given) == 1 and given.upper() in LETTERS[:len(card.options)]:
        return card.options[LETTERS.index(given.upper())]
    return given


class QuizScreen(PaperplanScreen):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("ctrl+n", "new_session", "New session")]

    def __init__(self) -> None:
        super().__init__()
        self.topic: int | None = None
        self.paper_id: str | None = None
        self.cards: list[QuizCard] = []
        self.index = 0
        self.right = 0
        self.answered = False
        # The session to start when the screen is next shown: due cards, unless a topic or
        # paper was asked for (see `request`).
        self.pending: tuple[int | None, str | None] | None = (None, None)

    def compose(self) -> ComposeResult:
        yield AreaBar("quiz")
        if self.services.quiz is None:
            yield Unavailable("Quizzes", "Card generation and spaced repetition are not wired into this build.")
            yield Footer()
            return
        with Vertical(id="quiz"):
            yield Label("", id="quiz-scope", classes="heading")
            yield Static("", id="quiz-card", classes="panel")
            yield Input(placeholder="Your answer (a letter for multiple choice), then Enter", id="answer")
            yield Static("", id="quiz-result")
            yield Static("", id="quiz-source", classes="panel")
        yield Footer()

    def on_screen_resume(self) -> None:
        self._start_pending()

    def request(self, topic: int | None, paper_id: str | None) -> None:
        """Start a session on a topic or paper, now if the screen is showing, else when it shows."""
        self.pending = (topic, paper_id)
        if self.is_mounted and self.is_current:
            self._start_pending()

    def _start_pending(self) -> None:
        if self.pending is not None and self.services.quiz is not None:
            topic, paper_id = self.pending
            self.pending = None
            self.start(topic, paper_id)

    def start(self, topic: int | None = None, paper_id: str | None = None) -> None:
        if self.services.quiz is None:
            return
        self.topic, self.paper_id = topic, paper_id
        self.cards, self.index, self.right, self.answered = [], 0, 0, False
        scope = "cards due today"
        if paper_id:
            scope = f"paper {paper_id}"
        elif topic:
            scope = f"topic {topic}. {self.services.plan.topic(topic).title}"
        self.query_one("#quiz-scope", Label).update(f"Quiz · {scope}")
        self.query_one("#quiz-card", Static).update("preparing cards… (the model may need to load)")
        self.query_one("#quiz-result", Static).update("")
        self.query_one("#quiz-source", Static).display = False
        self._load_session(topic, paper_id)

    def action_new_session(self) -> None:
        self.start(self.topic, self.paper_id)

    @work(thread=True, exclusive=True, exit_on_error=False, group="quiz")
    def _load_session(self, topic: int | None, paper_id: str | None) -> None:
        port = self.services.quiz
        assert port is not None
        try:
            cards = port.session(topic, paper_id)
        except Exception as exc:
            self.app.call_from_thread(self.query_one("#quiz-card", Static).update, "no session: see the error")
            notify_error(self.app, exc, "preparing the quiz")
            return
        self.app.call_from_thread(self._begin, cards)

    def _begin(self, cards: list[QuizCard]) -> None:
        self.cards = cards
        self._show_card()

    def _show_card(self) -> None:
        card_view = self.query_one("#quiz-card", Static)
        answer = self.query_one("#answer", Input)
        self.query_one("#quiz-result", Static).update("")
        self.query_one("#quiz-source", Static).display = False
        self.answered = False
        if self.index >= len(self.cards):
            card_view.update(Text(
                f"Session done: {self.right} of {len(self.cards)} right." if self.cards
                else "Nothing to review here right now.", style="bold"))
            answer.display = False
            return
        card = self.cards[self.index]
        text = Text().append(f"Card {self.index + 1} of {len(self.cards)}", style="dim")
        if card.title:
            text.append(f" · {card.title[:60]}", style="dim")
        text.append("\n\n").append(card.question, style="bold")
        for letter, option in zip(LETTERS, card.options, strict=False):
            text.append(f"\n  {letter}. {option}")
        card_view.update(text)
        answer.display = True
        answer.value = ""
        answer.placeholder = "Your answer (a letter for multiple choice), then Enter"
        answer.focus()

    @on(Input.Submitted, "#answer")
    def _submitted(self, event: Input.Submitted) -> None:
        if self.index >= len(self.cards):
            return
        if self.answered:  # Enter again moves on
            self.index += 1
            self._show_card()
            return
        if not event.value.strip():
            return
        card = self.cards[self.index]
        event.input.disabled = True
        self._grade(card, resolve_choice(card, event.value))

    @work(thread=True, exclusive=True, exit_on_error=False, group="quiz")
    def _grade(self, card: QuizCard, given: str) -> None:
        port = self.services.quiz
        assert port is not None
        try:
            result = port.answer(card, given)
        except Exception as exc:
            self.app.call_from_thread(self._enable_answer)
            notify_error(self.app, exc, f"grading card {card.id}")
            return
        self.app.call_from_thread(self._show_result, card, result)

    def _enable_answer(self) -> None:
        answer = self.query_one("#answer", Input)
        answer.disabled = False
        answer.focus()

    def _show_result(self, card: QuizCard, result: QuizResult) -> None:
        self.answered = True
        self.right += int(result.correct)
        verdict = Text().append("✓ right" if result.correct else "✗ not quite",
                                style="bold green" if result.correct else "bold red")
        verdict.append(f"\nexpected: {result.expected}")
        if result.feedback:
            verdict.append(f"\n{result.feedback}", style="italic")
        if result.next_due:
            verdict.append(f"\nnext review: {result.next_due}", style="dim")
        self.query_one("#quiz-result", Static).update(verdict)
        source = self.query_one("#quiz-source", Static)
        if card.source_quote:
            where = " · ".join(x for x in (card.title[:60], card.section, card.pages) if x)
            source.update(Text.assemble(("Source  ", "bold"), (where, "dim"), "\n", card.source_quote))
            source.display = True
        answer = self.query_one("#answer", Input)
        answer.disabled = False
        answer.value = ""
        answer.placeholder = "Enter for the next card"
        answer.focus()
