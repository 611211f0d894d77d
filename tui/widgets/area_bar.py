"""The bar at the top: which area you are in, and the key that goes to each of the others."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

# (mode, title, key): the app's areas in the order of their function keys.
AREAS: tuple[tuple[str, str, str], ...] = (
    ("dashboard", "Dashboard", "f2"),
    ("library", "Library", "f3"),
    ("ask", "Ask", "f4"),
    ("quiz", "Quiz", "f5"),
    ("picks", "Picks", "f6"),
    ("jobs", "Jobs", "f7"),
)


class AreaBar(Static):
    DEFAULT_CLASSES = "area-bar"

    def __init__(self, current: str, detail: str = "") -> None:
        super().__init__(self.render_bar(current, detail))

    @staticmethod
    def render_bar(current: str, detail: str = "") -> Text:
        text = Text().append("paperplan ", style="bold")
        for mode, title, key in AREAS:
            style = "reverse bold" if mode == current else ""
            text.append(f" {key.upper()} ", style="dim" if mode != current else style)
            text.append(f"{title} ", style=style)
        if detail:
            text.append(f"  {detail}", style="italic")
        return text
