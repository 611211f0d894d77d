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
from tui.screens.dashboard import DashboardScreen
from tui.screens.help import HelpScreen
from tui.screens.jobs import JobsScreen
from tui.screens.library import LibraryScreen
from tui.screens.paper import PaperScreen
from tui.screens.quiz import QuizScreen
from tui.screens.recommendations import RecommendationsScreen
from tui.services import TuiServices

# mode → (screen class, title, key, what it is for)
AREAS: dict[str, tuple[type[Screen[None]], str, str, str]] = {
    "dashboard": (DashboardScreen, "Dashboard", "f2", "stages, topics, pace, due cards, picks, runs"),
    "library": (LibraryScreen, "Library", "f3", "every paper: filter, search, open"),
    "ask": (AskScreen, "Ask", "f4", "questions answered with citations"),
    "quiz": (QuizScreen, "Quiz", "f5", "a spaced-repetition session"),
    "picks": (RecommendationsScreen, "Picks", "f6", "this week's recommendations"),
    "jobs": (JobsScreen, "Jobs", "f7", "scheduled jobs, run now, ingest"),
}


class PaperplanApp(App[None]):
    CSS_PATH = "app.tcss"
    TITLE = "paperplan"
    MODES: ClassVar = {mode: screen for mode, (screen, *_rest) in AREAS.items()}
    DEFAULT_MODE: ClassVar[str] = "dashboard"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f1", "help", "Help"),
        *(Binding(key, f"switch_mode('{mode}')", title) for mode, (_s, title, key, _d) in AREAS.items()),
    ]

    def __init__(self, services: TuiServices) -> None:
        super().__init__()
        self.services = services
        self.sub_title = services.plan.title

    # -- navigation used by the screens --------------------------------------------------

    def open_paper(self, paper_id: str, chunk_id: str | None = None) -> None:
        """Show a paper on top of the current area; at a cited passage when chunk_id is given."""
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
        sections += [(title, list(screen.BINDINGS)) for screen, title, _k, _d in AREAS.values()]
        sections.append(("Paper", list(PaperScreen.BINDINGS)))
        self.push_screen(HelpScreen(sections))

    # -- command palette -----------------------------------------------------------------

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for mode, (_s, title, key, what) in AREAS.items():
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
