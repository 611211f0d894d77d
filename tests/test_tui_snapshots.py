"""Every screen drawn at a fixed size from a seeded KB with a fixed clock (pytest-textual-snapshot).

Update after an intended change with `pytest tests/test_tui_snapshots.py --snapshot-update`
and look at the report before committing the new SVGs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, OptionList, TextArea

from kb.fakes import HashEmbedder
from paperplan.commands.tui import tui_services
from paperplan.paths import DataPaths
from paperplan.settings import Settings
from paperplan.wiring import build_services
from tests.tui_seed import MMML, NOW, CannedAsk, CannedJobs, CannedQuiz, seed_database
from tui.app import PaperplanApp, build_app
from tui.services import Citation, QuizCard, TuiServices

SIZE = (120, 36)
METHOD_CHUNK = f"{MMML}:v0:1"


@pytest.fixture
def tui(tmp_path: Path) -> TuiServices:
    """The real composition (notes, topics, quiz…) over a seeded data dir, with a fixed clock."""
    svc = build_services(Settings(), DataPaths(tmp_path / "data"), embedder=HashEmbedder())
    seed_database(svc.db, svc.plan)
    # The service's schedule depends on the machine's time zone: a fixed one keeps the pictures equal.
    return replace(tui_services(svc, now=lambda: NOW), jobs=CannedJobs())


def steady_cursors(pilot: Pilot[None]) -> None:
    """A blinking cursor is caught on or off by chance: keep it on for the picture."""
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False
    for editor in pilot.app.screen.query(TextArea):
        editor.cursor_blink = False


def settled(*keys: str) -> Callable[[Pilot[None]], Awaitable[None]]:
    """Press keys, then wait for the workers (job lists, answers) and the refresh they cause."""
    async def run(pilot: Pilot[None]) -> None:
        await pilot.pause()
        await pilot.press(*keys)
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()

    return run


def app_with(services: TuiServices, **ports: Any) -> PaperplanApp:
    return build_app(replace(services, **ports))


def test_dashboard_with_chinese_topics(snap_compare: Callable[..., bool], tui: TuiServices) -> None:
    assert snap_compare(app_with(tui), run_before=settled(), terminal_size=SIZE)


def test_library(snap_compare: Callable[..., bool], tui: TuiServices) -> None:
    assert snap_compare(app_with(tui), press=["f3"], terminal_size=SIZE)


def test_library_filtered_by_search(snap_compare: Callable[..., bool], tui: TuiServices) -> None:
    assert snap_compare(app_with(tui), press=["f3", "slash", *"survey of", "enter"], terminal_size=SIZE)


def test_paper_at_a_cited_passage_with_its_note(snap_compare: Callable[..., bool], tui: TuiServices) -> None:
    async def open_paper(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, PaperplanApp)
        app.open_paper(MMML, METHOD_CHUNK)
        await pilot.pause()
        app.screen.query_one("#note", TextArea).insert("# 要点\n\nFive challenges: representation, translation, "
                                                       "alignment, fusion, co-learning.")
        steady_cursors(pilot)
        await pilot.pause()

    assert snap_compare(app_with(tui), run_before=open_paper, terminal_size=SIZE)


def test_topic_correction_dialog(snap_compare: Callable[..., bool], tui: TuiServices) -> None:
    async def open_dialog(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, PaperplanApp)
        app.open_paper(MMML)
        await pilot.pause()
        app.screen.query_one("#topics").focus()
        await pilot.press("c")
        await pilot.pause()
        steady_cursors(pilot)
        await pilot.pause()

    assert snap_compare(app_with(tui), run_before=open_dialog, terminal_size=SIZE)


def test_ask_with_a_streamed_cited_answer(snap_compare: Callable[..., bool], tui: TuiServices) -> None:
    ask = CannedAsk(
        ["Multimodal machine learning faces five core challenges: ", "representation, translation, alignment, ",
         "fusion and co-learning [1]. Fusion joins information from two or more modalities [1]."],
        [Citation(1, MMML, "Multimodal Machine Learning: A Survey and Taxonomy", "1 Introduction", "p. 2",
                  "We identify five core technical challenges of multimodal machine learning", METHOD_CHUNK)])

    async def ask_question(pilot: Pilot[None]) -> None:
        await pilot.press("f4")
        await pilot.pause()
        await pilot.click("#question")
        await pilot.press(*"What are the core challenges?", "enter")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        pilot.app.screen.query_one("#citations", OptionList).focus()
        await pilot.pause()

    assert snap_compare(app_with(tui, ask=ask, warm_up=None), run_before=ask_question, terminal_size=SIZE)


def test_ask_not_available(snap_compare: Callable[..., bool], tui: TuiServices) -> None:
    assert snap_compare(app_with(tui, ask=None), press=["f4"], terminal_size=SIZE)


def test_quiz_after_an_answer_shows_the_source(snap_compare: Callable[..., bool], tui: TuiServices) -> None:
    card = QuizCard("card-1", "Which challenge is about combining information from two or more modalities?",
                    "mcq", ("translation", "fusion", "alignment", "co-learning"), MMML,
                    "Multimodal Machine Learning: A Survey and Taxonomy", 1, "1 Introduction", "p. 2",
                    "We identify five core technical challenges of multimodal machine learning: representation, "
                    "translation, alignment, fusion and co-learning.")

    async def answer(pilot: Pilot[None]) -> None:
        await pilot.press("f5")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("b", "enter")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        steady_cursors(pilot)
        await pilot.pause()

    assert snap_compare(app_with(tui, quiz=CannedQuiz([card])), run_before=answer, terminal_size=SIZE)


def test_picks(snap_compare: Callable[..., bool], tui: TuiServices) -> None:
    assert snap_compare(app_with(tui), press=["f6"], terminal_size=SIZE)


def test_jobs(snap_compare: Callable[..., bool], tui: TuiServices) -> None:
    assert snap_compare(app_with(tui), run_before=settled("f7"), terminal_size=SIZE)


def test_help(snap_compare: Callable[..., bool], tui: TuiServices) -> None:
    assert snap_compare(app_with(tui), run_before=settled("f1"), terminal_size=SIZE)
