"""The paperplan app: one mode per area (dashboard, library, ask, quiz, picks, jobs), papers pushed on top.

`build_app(services)` is the only way in: the composition root passes real services, tests a
seeded database and fakes. Importing this module loads Textual and the screens, never a
model: the first frame does not wait for torch, chromadb or an LLM runtime.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import ClassVar

from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen

from tui.screens.ask import AskScreen
from tui.screens.base import notify_error
from tui.screens.dashboard import DashboardScreen
from tui.screens.help import HelpScreen
from tui.screens.jobs import JobsScreen
from tui.screens.library import LibraryScreen
from tui.screens.quiz import QuizScreen
from tui.screens.recommendations import RecommendationsScreen
from tui.services import TuiServices
from tui.widgets.area_bar import AREAS

# mode → (screen class, what it is for); titles and keys are in widgets.area_bar.
SCREENS_BY_MODE: dict[str, tuple[type[Screen[None]], str]] = {
    "dashboard": (DashboardScreen, "stages, topics, pace, due cards, picks, runs"),
    "library": (LibraryScreen, "every paper: filter, search, open"),
    "ask": (AskScreen, "questions answered with citations"),
    "quiz": (QuizScreen, "a spaced-repetition session"),
    "picks": (RecommendationsScreen, "this week's recommendations"),
    "jobs": (JobsScreen, "scheduled jobs, run now, ingest"),
}


class PaperplanApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "paperplan"
    MODES: ClassVar = {mode: screen for mode, (screen, _what) in SCREENS_BY_MODE.items()}
    DEFAULT_MODE: ClassVar[str] = "dashboard"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f1", "help", "Help"),
        # The area keys are shown in the bar at the top, so the footer keeps to the screen's own keys.
        *(Binding(key, f"switch_mode('{mode}')", title, show=False) for mode, title, key in AREAS),
    ]

    def __init__(self, services: TuiServices) -> None:
        super().__init__()
        self.services = services
        self.sub_title = services.plan.title

    def on_mount(self) -> None:
        try:
            empty = not self.services.db.scalar("SELECT COUNT(*) FROM papers")
        except Exception as exc:  # a broken database is named, not a crash
            notify_error(self, exc, "opening the knowledge base")
            return
        if empty:
            self.notify("The knowledge base has no papers yet: run `paperplan init` (make run does it), "
                        "then ingest from Jobs (F7).", severity="warning", timeout=15, markup=False)

    # -- navigation used by the screens --------------------------------------------------

    def open_paper(self, paper_id: str, chunk_id: str | None = None) -> None:
        """Show a paper on top of the current area; at a cited passage when chunk_id is given."""
        from tui.screens.paper import PaperScreen  # the editor's themes load on first use

        self.push_screen(PaperScreen(paper_id, chunk_id))

    def _area(self, mode: str) -> Screen[None]:
        """Switch to an area and uncover its own screen (closing papers opened on top of it)."""
        if self.current_mode != mode:
            self.switch_mode(mode)
        while len(self.screen_stack) > 1:
            self.pop_screen()
        return self.screen_stack[0]

    def ask_about(self, paper_id: str | None) -> None:
        screen = self._area("ask")
        if isinstance(screen, AskScreen):
            screen.request(paper_id)

    def quiz_on(self, topic: int | None = None, paper_id: str | None = None) -> None:
        screen = self._area("quiz")
        if isinstance(screen, QuizScreen):
            screen.request(topic, paper_id)

    def action_help(self) -> None:
        sections: list[tuple[str, list[BindingType]]] = [("Everywhere", list(self.BINDINGS))]
        sections += [(title, list(SCREENS_BY_MODE[mode][0].BINDINGS)) for mode, title, _key in AREAS]
        from tui.screens.paper import PaperScreen

        sections.append(("Paper", list(PaperScreen.BINDINGS)))
        self.push_screen(HelpScreen(sections))

    # -- command palette -----------------------------------------------------------------

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for mode, title, key in AREAS:
            what = SCREENS_BY_MODE[mode][1]
            yield SystemCommand(f"Go to {title}", f"{what} ({key})", partial(self.switch_mode, mode))
        yield SystemCommand("Help", "every key of every screen (f1)", self.action_help)
        yield SystemCommand("Quiz: cards due today", "start a session of due cards", self.quiz_on)
        for topic in self.services.plan.topics:
            yield SystemCommand(f"Quiz: topic {topic.number} {topic.title}", topic.title_en,
                                partial(self.quiz_on, topic.number), discover=False)
        # Every action of the screen in front, by name, so the palette reaches everything.
        area = type(screen).__name__.removesuffix("Screen")
        for binding in screen.BINDINGS:
            if isinstance(binding, Binding) and binding.description:
                yield SystemCommand(f"{area}: {binding.description}", f"key {binding.key.split(',')[0]}",
                                    partial(screen.run_action, binding.action))


def build_app(services: TuiServices) -> PaperplanApp:
    return PaperplanApp(services)
