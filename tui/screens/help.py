"""Help: every key of every screen, generated from their bindings so it stays true."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

KEY_NAMES = {"slash": "/", "plus": "+", "minus": "−", "equals_sign": "=", "escape": "esc"}


def _keys(bindings: list[BindingType]) -> list[tuple[str, str]]:
    out = []
    for b in bindings:
        if isinstance(b, Binding) and b.description:
            key = b.key.split(",")[0]
            out.append((KEY_NAMES.get(key, key.replace("_", " ")), b.description))
        elif isinstance(b, tuple) and len(b) == 3:
            out.append((b[0], b[2]))
    return out


def help_table(sections: list[tuple[str, list[BindingType]]]) -> Table:
    table = Table(box=None, show_header=False, pad_edge=False)
    table.add_column("key", style="bold cyan", no_wrap=True)
    table.add_column("does")
    for title, bindings in sections:
        table.add_row(Text(title, style="bold underline"), "")
        for key, description in _keys(bindings):
            table.add_row(key, description)
        table.add_row("", "")
    table.add_row("ctrl+p", "command palette: every action by name")
    return table


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,f1,q", "dismiss", "Close")]

    def __init__(self, sections: list[tuple[str, list[BindingType]]]) -> None:
        super().__init__()
        self.sections = sections

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help"):
            yield Static(Text("paperplan keys  (Esc closes)", style="bold"))
            yield Static(help_table(self.sections))
