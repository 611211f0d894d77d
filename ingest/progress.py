"""How ingest reports progress: stages (fetch, download, parse, embed) with counts.

The CLI draws rich progress bars from it, the TUI a progress widget, the service logs;
ingest itself only calls these methods.
"""

from __future__ import annotations

from typing import Protocol

STAGES = ("fetch", "download", "parse", "embed")


class Progress(Protocol):
    def start(self, stage: str, total: int | None = None) -> None:
        """A stage begins (again); `total` when known."""

    def advance(self, stage: str, n: int = 1) -> None: ...

    def note(self, message: str) -> None:
        """A line for the learner: a skipped file, 'no new listings today'…"""


class NullProgress:
    def start(self, stage: str, total: int | None = None) -> None:
        pass

    def advance(self, stage: str, n: int = 1) -> None:
        pass

    def note(self, message: str) -> None:
        pass
