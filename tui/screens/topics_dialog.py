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


def parse_topic_numbers(text: str, valid: Iterable[int]) -> list[int]:
    """'3, 5 7' → [3, 5, 7]. Raises ValueError naming the first token that is not a topic."""
    allowed = set(valid)
    out: list[int] = []
    for token in text.replace("，", ",").replace(",", " ").split():
        if not token.isdigit() or int(token) not in allowed:
            raise ValueError(f"{token!r} is not a topic number (1–{max(allowed) if allowed else 0})")
        if int(token) not in out:
            out.append(int(token))
    return out


class TopicsDialog(ModalScreen[list[int] | None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, plan: Plan, current: list[int]) -> None:
        super().__init__()
        self.plan = plan
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label("Which topics is this paper about? Numbers, separated by commas.", classes="heading")
            yield Static("\n".join(f"{t.number:>2}. {t.title}" for t in self.plan.topics), id="topic-list")
            yield Input(", ".join(map(str, self.current)), id="topic-numbers")
            yield Label("", id="topic-error")

    @on(Input.Submitted)
    def _submit(self, event: Input.Submitted) -> None:
        try:
            chosen = parse_topic_numbers(event.value, (t.number for t in self.plan.topics))
        except ValueError as exc:
            self.query_one("#topic-error", Label).update(str(exc))
            return
        if not chosen:
            self.query_one("#topic-error", Label).update("name at least one topic")
            return
        self.dismiss(chosen)

    def action_cancel(self) -> None:
        self.dismiss(None)
