"""What every screen shares: its services, and errors turned into notifications."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from textual.app import App
from textual.screen import Screen

from kb.errors import PaperplanError
from tui.services import TuiServices

if TYPE_CHECKING:
    from tui.app import PaperplanApp

log = logging.getLogger(__name__)
T = TypeVar("T")


def describe_error(exc: BaseException) -> str:
    """One line naming the problem, and what to do when the layer below said so."""
    if isinstance(exc, PaperplanError):
        return f"{exc}" + (f"\nhint: {exc.hint}" if exc.hint else "")
    return f"{type(exc).__name__}: {exc}"


def notify_error(app: App[Any], exc: BaseException, doing: str) -> None:
    """Show an error from below as a notification; the app keeps running. Safe from any thread."""
    log.warning("%s failed", doing, exc_info=exc)
    message = f"{doing} failed: {describe_error(exc)}"
    try:
        app.call_from_thread(app.notify, message, severity="error", timeout=8, markup=False)
    except RuntimeError:  # already on the UI thread
        app.notify(message, severity="error", timeout=8, markup=False)


class PaperplanScreen(Screen[None]):
    """A screen with typed access to the app's services."""

    @property
    def paperplan(self) -> PaperplanApp:
        return self.app  # type: ignore[return-value]

    @property
    def services(self) -> TuiServices:
        return self.paperplan.services

    def guard(self, doing: str, fn: Callable[[], T]) -> T | None:
        """Run a call into the layers below on the UI thread; an error becomes a notification."""
        try:
            return fn()
        except Exception as exc:
            notify_error(self.app, exc, doing)
            return None
