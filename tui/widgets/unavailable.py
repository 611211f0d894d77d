"""The honest state of a capability that is not wired in: says so instead of faking it."""

from __future__ import annotations

from textual.widgets import Static


class Unavailable(Static):
    DEFAULT_CLASSES = "unavailable"

    def __init__(self, what: str, why: str = "", **kwargs: object) -> None:
        text = f"{what} is not available yet."
        if why:
            text += f"\n{why}"
        super().__init__(text, markup=False, **kwargs)  # type: ignore[arg-type]
