"""A small dialog: type the topic numbers a paper belongs to (the learner's correction)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from kb.plan import Plan


def parse_topic_number(text: str, valid: Iterable[int]) -> int:
    """'3' or ' 3 ' → 3. Raises ValueError saying which numbers are allowed."""
    allowed = sorted(set(valid))
    token = text.strip()
    if not (token.isascii() and token.isdigit()) or int(token) not in allowed:  # '²'.isdigit() is True
        raise ValueError(f"{token!r} is not a topic number ({allowed[0]}–{allowed[-1]})" if allowed
                         else "the plan has no topics")
    return int(token)


class TopicsDialog(ModalScreen[int | None]):
    """Which topic is this paper really about? (It replaces the selected one.)"""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, plan: Plan, wrong: int) -> None:
        super().__init__()
        self.plan = plan
        self.wrong = wrong

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(f"Not topic {self.wrong}: which topic is this paper about? Type its number.")
            yield Static("\n".join(f"{t.number:>2}. {t.title}  {t.title_en}" for t in self.plan.topics),
                         id="topic-list")
            yield Input(id="topic-number")
            yield Label("", id="topic-error")

    @on(Input.Submitted)
    def _submit(self, event: Input.Submitted) -> None:
        try:
            chosen = parse_topic_number(event.value, (t.number for t in self.plan.topics))
        except ValueError as exc:
            self.query_one("#topic-error", Label).update(str(exc))
            return
        self.dismiss(chosen)

    def action_cancel(self) -> None:
        self.dismiss(None)
