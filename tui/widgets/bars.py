"""Text progress bars that sit inside tables (Rich measures them, CJK titles included)."""

from __future__ import annotations

from rich.text import Text


def bar(fraction: float | None, width: int = 10, style: str = "green") -> Text:
    """▰▰▰▱▱ with `width` cells; an unknown fraction is a dim dash."""
    if fraction is None:
        return Text("–".ljust(width), style="dim")
    fraction = min(max(fraction, 0.0), 1.0)
    full = round(fraction * width)
    return Text.assemble(("▰" * full, style), ("▱" * (width - full), "dim"))


def ratio_bar(done: int, total: int, width: int = 10) -> Text:
    """A bar with its count beside it: ▰▰▱▱ 2/4."""
    text = bar(done / total if total else None, width)
    text.append(f" {done}/{total}" if total else " 0", style="" if total else "dim")
    return text
