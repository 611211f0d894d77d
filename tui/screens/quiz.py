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
RATING_KEYS = {"a": 1, "h": 2, "g": 3, "e": 4}
RATING_NAMES = {1: "again", 2: "hard", 3: "good", 4: "easy"}


def parse_rating(text: str, suggested: int) -> int | None:
    """'' → the suggestion; a/h/g/e (or 1-4, or the word) → 1-4; anything else → None."""
    word = text.strip().lower()
    if not word:
        return suggested
    if word in RATING_KEYS:
        return RATING_KEYS[word]
    if word in ("1", "2", "3", "4"):
        return int(word)
    return next((n for n, name in RATING_NAMES.items() if name == word), None)


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
        self.result: QuizResult | None = None  # the current card's grade, once answered
        self.given = ""
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
            yield Static("", id="quiz-status")
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
        self.cards, self.index, self.right, self.result = [], 0, 0, None
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
        self.result = None
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
        answer.disabled = False
        answer.value = ""
        answer.placeholder = "Your answer (a letter for multiple choice), then Enter"
        answer.focus()

    @on(Input.Submitted, "#answer")
    def _submitted(self, event: Input.Submitted) -> None:
        if self.index >= len(self.cards) or (self.result is None and not event.value.strip()):
            return
        card = self.cards[self.index]
        if self.result is None:
            self.given = resolve_choice(card, event.value)
            event.input.disabled = True
            self._grade(card, self.given)
            return
        rating = parse_rating(event.value, self.result.suggested_rating)
        if rating is None:
            self.notify(f"{event.value.strip()!r} is not a rating: a again, h hard, g good, e easy",
                        severity="warning")
            event.input.value = ""
            return
        event.input.disabled = True
        self._review(card, self.given, rating)

    @work(thread=True, exclusive=True, exit_on_error=False, group="quiz")
    def _grade(self, card: QuizCard, given: str) -> None:
        port = self.services.quiz
        assert port is not None
        try:
            result = port.grade(card, given)
        except Exception as exc:
            self.app.call_from_thread(self._enable_answer)
            notify_error(self.app, exc, f"grading card {card.id}")
            return
        self.app.call_from_thread(self._show_result, card, result)

    @work(thread=True, exclusive=True, exit_on_error=False, group="quiz")
    def _review(self, card: QuizCard, given: str, rating: int) -> None:
        port = self.services.quiz
        assert port is not None
        try:
            next_due = port.review(card, given, rating)
        except Exception as exc:
            self.app.call_from_thread(self._enable_answer)
            notify_error(self.app, exc, f"saving the review of card {card.id}")
            return
        self.app.call_from_thread(self._reviewed, rating, next_due)

    def _reviewed(self, rating: int, next_due: str) -> None:
        self.query_one("#quiz-status", Static).update(
            f"saved: card {self.index + 1} rated {RATING_NAMES[rating]}, next review {next_due}")
        self.index += 1
        self._show_card()

    def _enable_answer(self) -> None:
        answer = self.query_one("#answer", Input)
        answer.disabled = False
        answer.focus()

    def _show_result(self, card: QuizCard, result: QuizResult) -> None:
        self.result = result
        self.right += int(result.correct)
        verdict = Text().append("✓ right" if result.correct else "✗ not quite",
                                style="bold green" if result.correct else "bold red")
        verdict.append(f"\nexpected: {result.expected}")
        if result.feedback:
            verdict.append(f"\n{result.feedback}", style="italic")
        self.query_one("#quiz-result", Static).update(verdict)
        source = self.query_one("#quiz-source", Static)
        if card.source_quote:
            where = " · ".join(x for x in (card.title[:60], card.section, card.pages) if x)
            source.update(Text.assemble(("Source  ", "bold"), (where, "dim"), "\n", card.source_quote))
            source.display = True
        answer = self.query_one("#answer", Input)
        answer.disabled = False
        answer.value = ""
        answer.placeholder = (f"How well did you recall it? a again · h hard · g good · e easy "
                              f"(Enter: {RATING_NAMES[result.suggested_rating]})")
        answer.focus()
