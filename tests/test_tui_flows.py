"""The app's main flows, driven with Textual's pilot: real SQLite (and real Chroma with the hash
embedder where answers need retrieval), the real agent services, langchain's fake chat model
in place of the LLM."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from textual.widgets import DataTable, OptionList, Static, TextArea

from agent.llm import LLM
from kb.errors import PaperplanError
from paperplan.commands.tui import tui_services
from paperplan.wiring import Services
from tests.test_retrieval import FUSION, seed
from tests.tui_seed import MMML, NOW, seed_database, seeded_services
from tui.app import PaperplanApp, build_app
from tui.screens.ask import AskScreen
from tui.screens.jobs import split_ingest_request
from tui.screens.library import LibraryScreen
from tui.screens.paper import PaperScreen
from tui.screens.quiz import RATING_NAMES, QuizScreen, parse_rating
from tui.screens.topics_dialog import parse_topic_number
from tui.services import Answer

SIZE = (120, 36)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def seeded_app(services: Services) -> PaperplanApp:
    """The real composition over the seeded KB (hash embedder, fixed clock)."""
    seed_database(services.db, services.plan)
    return build_app(tui_services(services, now=lambda: NOW))


def test_first_frame_loads_no_model_runtime(tmp_path: Path) -> None:
    code = f"""
import asyncio, sys
from pathlib import Path
from kb.db import Database
from kb.plan import load_plan
from tui.app import build_app
from tui.services import TuiServices
svc = TuiServices(plan=load_plan(), db=Database(Path({str(tmp_path)!r}) / "paperplan.db"), data_dir=Path({str(tmp_path)!r}))
async def first_frame():
    async with build_app(svc).run_test(size=(100, 30)) as pilot:
        await pilot.pause()
asyncio.run(first_frame())
heavy = {{"torch", "chromadb", "sentence_transformers", "transformers", "langchain_core", "llama_cpp"}}
print(sorted(heavy & {{m.split(".")[0] for m in sys.modules}}))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_paperplan_without_arguments_opens_the_app(monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from paperplan import cli
    from paperplan.commands import tui as tui_command

    opened: list[PaperplanApp] = []
    logging: list[bool] = []
    monkeypatch.setattr(PaperplanApp, "run", lambda self: opened.append(self))
    monkeypatch.setattr(tui_command, "log_to_data_dir", lambda svc, console: logging.append(console))
    result = CliRunner().invoke(cli.app, [])
    assert result.exit_code == 0, result.output
    assert len(opened) == 1 and opened[0].services.ask is not None and opened[0].services.jobs is not None
    assert logging == [False]  # log lines go to the data dir's file, not over the screen


@pytest.mark.anyio
async def test_ask_then_open_the_cited_passage(services: Services) -> None:
    seed(services)
    services.__dict__["llm"] = LLM(FakeListChatModel(responses=["Late fusion merges the unimodal models' "
                                                                "predictions at the decision level [1]."]),
                                   provider="fake", model="fake", capable=False)
    app = build_app(tui_services(services, now=lambda: NOW))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f4")
        await pilot.pause()
        assert isinstance(app.screen, AskScreen)
        await pilot.click("#question")
        await pilot.press(*"What is late fusion?", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        answer = app.screen.query(".answer").last()
        assert "decision level [1]" in str(answer.render())
        citations = app.screen.query_one("#citations", OptionList)
        assert citations.option_count == 1
        citations.focus()
        citations.highlighted = 0
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, PaperScreen) and app.screen.paper_id == "2401.00001"
        passage = str(app.screen.query_one("#passage", Static).render())
        assert "Cited passage" in passage and FUSION in passage and "p. 1" in passage
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, AskScreen)  # back in the conversation


@pytest.mark.anyio
async def test_quiz_session_grades_and_shows_the_source_passage(services: Services) -> None:
    app = seeded_app(services)
    async with app.run_test(size=SIZE) as pilot:
        app.quiz_on(topic=1)
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, QuizScreen) and screen.cards, "the seeded topic-1 cards make a session"
        first = screen.cards[0]
        answer = "b" if first.options else "alignment"  # the right answer either way
        await pilot.press(*answer, "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        result = str(screen.query_one("#quiz-result", Static).render())
        assert "right" in result and "expected" in result
        source = str(screen.query_one("#quiz-source", Static).render())
        assert "five core technical challenges" in source and "p. 2" in source
        reviews_before = int(services.db.scalar("SELECT COUNT(*) FROM reviews"))  # type: ignore[call-overload]
        await pilot.press("e", "enter")  # recall rated easy: saved, and the next card comes
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert screen.index == 1
        assert "rated easy" in str(screen.query_one("#quiz-status", Static).render())
        rows = services.db.query("SELECT rating, correct FROM reviews ORDER BY id DESC LIMIT 1")
        assert services.db.scalar("SELECT COUNT(*) FROM reviews") == reviews_before + 1
        assert (rows[0]["rating"], rows[0]["correct"]) == (4, 1)


@pytest.mark.anyio
async def test_edit_a_note_and_find_it_on_disk(services: Services) -> None:
    app = seeded_app(services)
    async with app.run_test(size=SIZE) as pilot:
        app.open_paper(MMML)
        await pilot.pause()
        editor = app.screen.query_one("#note", TextArea)
        await pilot.press("e")
        assert editor.has_focus
        editor.insert("Five challenges: 表示、翻译、对齐、融合、协同学习.")
        await pilot.press("ctrl+s")
        await pilot.pause()
    path = services.paths.notes / f"{MMML}.md"
    text = path.read_text(encoding="utf-8")
    assert "Five challenges: 表示、翻译、对齐、融合、协同学习." in text
    assert text.startswith("---")  # the vault's front matter was kept


@pytest.mark.anyio
async def test_leaving_a_paper_saves_the_unsaved_note(services: Services) -> None:
    app = seeded_app(services)
    async with app.run_test(size=SIZE) as pilot:
        app.open_paper(MMML)
        await pilot.pause()
        app.screen.query_one("#note", TextArea).insert("written, then escape")
        app.screen.query_one("#topics", DataTable).focus()
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, PaperScreen)
    assert "written, then escape" in (services.paths.notes / f"{MMML}.md").read_text(encoding="utf-8")


@pytest.mark.anyio
async def test_library_search_and_status_filter(tmp_path: Path) -> None:
    app = build_app(seeded_services(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f3")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, LibraryScreen)
        table = screen.query_one("#papers", DataTable)
        everything = table.row_count
        await pilot.press("slash", *"taxonomy")
        await pilot.pause(0.5)  # the table is rebuilt once typing pauses
        assert table.row_count == 1 and "Taxonomy" in str(table.get_row_at(0)[0])
        await pilot.press("escape")
        await pilot.pause()
        assert table.row_count == everything
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, PaperScreen)


@pytest.mark.anyio
async def test_reading_status_and_rating_from_the_paper_screen(tmp_path: Path) -> None:
    services = seeded_services(tmp_path)
    app = build_app(services)
    async with app.run_test(size=SIZE) as pilot:
        app.open_paper("2502.10816")
        await pilot.pause()
        app.screen.query_one("#topics", DataTable).focus()
        await pilot.press("s", "plus")
        await pilot.pause()
        assert "status: queued" in str(app.screen.query_one("#paper-meta", Static).render())
    row = services.db.query("SELECT status, rating FROM reading WHERE paper_id = '2502.10816'")[0]
    assert (row["status"], row["rating"]) == ("queued", "up")


@pytest.mark.anyio
async def test_an_error_below_becomes_a_notification_not_a_crash(tmp_path: Path) -> None:
    def broken_ask(question: str, paper_id: str | None, on_text: object) -> Answer:
        raise PaperplanError("the model at http://127.0.0.1:9/ refused the connection", hint="start Ollama")

    app = build_app(seeded_services(tmp_path, ask=broken_ask))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f4")
        await pilot.pause()
        await pilot.click("#question")
        await pilot.press(*"why?", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        messages = [n.message for n in app._notifications]
        assert any("127.0.0.1:9" in m and "hint: start Ollama" in m for m in messages), messages
        assert app.is_running and isinstance(app.screen, AskScreen)


@pytest.mark.anyio
async def test_unwired_capabilities_say_so(tmp_path: Path) -> None:
    app = build_app(seeded_services(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        for key in ("f4", "f5"):
            await pilot.press(key)
            await pilot.pause()
            assert "not available yet" in str(app.screen.query_one(".unavailable", Static).render())


@pytest.mark.anyio
async def test_command_palette_reaches_the_screen_actions(tmp_path: Path) -> None:
    app = build_app(seeded_services(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        app.open_paper(MMML)
        await pilot.pause()
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Paper: Quiz me" in titles and "Paper: Ask about this" in titles and "Go to Library" in titles


@given(st.integers(min_value=1, max_value=12), st.text(alphabet=" \t", max_size=3))
def test_topic_number_parser_accepts_plan_topics(number: int, pad: str) -> None:
    assert parse_topic_number(f"{pad}{number}{pad}", range(1, 13)) == number


@given(st.text(max_size=8))
def test_topic_number_parser_rejects_the_rest_with_a_reason(text: str) -> None:
    if text.strip().isascii() and text.strip().isdigit() and 1 <= int(text.strip()) <= 12:
        return
    with pytest.raises(ValueError, match="not a topic number"):
        parse_topic_number(text, range(1, 13))


@given(st.lists(st.from_regex(r"2[0-9]{3}\.[0-9]{5}(v[1-9])?", fullmatch=True), min_size=1, max_size=4))
def test_ingest_request_of_arxiv_ids_is_a_list_of_ids(ids: list[str]) -> None:
    assert split_ingest_request(" ".join(ids)) == (ids, "")


@given(st.sampled_from(["a", "h", "g", "e", "A", " g ", "1", "4", "good", "Easy", ""]), st.integers(1, 4))
def test_recall_rating_parser(text: str, suggested: int) -> None:
    rating = parse_rating(text, suggested)
    assert rating in RATING_NAMES
    if not text.strip():
        assert rating == suggested


@given(st.text(min_size=1).filter(lambda t: t.strip().lower() not in {"a", "h", "g", "e", "1", "2", "3", "4",
                                                                       "again", "hard", "good", "easy", ""}))
def test_recall_rating_parser_refuses_anything_else(text: str) -> None:
    assert parse_rating(text, 3) is None


def test_ingest_request_with_words_is_a_query() -> None:
    assert split_ingest_request("late fusion 2401.00001") == ([], "late fusion 2401.00001")


@pytest.mark.anyio
async def test_ingest_from_the_jobs_screen_shows_progress_and_lands_in_the_library(tmp_path: Path) -> None:
    from kb.fakes import HashEmbedder
    from paperplan.paths import DataPaths
    from paperplan.settings import Settings
    from paperplan.wiring import build_services
    from tests.ingest_helpers import LocalServer

    server = LocalServer()
    try:
        settings = Settings(ingest={"arxiv_api_url": f"{server.url}/api/query", "request_interval_s": 0.0,
                                    "allowed_pdf_hosts": []})  # type: ignore[arg-type]
        svc = build_services(settings, DataPaths(tmp_path / "data"), embedder=HashEmbedder())
        from kb import papers as kb_papers
        from paperplan.commands.tui import start_process_helpers

        kb_papers.sync_topics(svc.db, svc.plan)
        start_process_helpers()  # as `paperplan tui` does before the app takes the terminal
        seen: list[str] = []
        app = build_app(tui_services(svc, now=lambda: NOW))
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("f7", "i")
            await pilot.pause()
            screen = app.screen
            original = screen._progress  # type: ignore[attr-defined]

            def watched(done: int, total: int, what: str) -> None:
                seen.append(what)
                original(done, total, what)

            screen._progress = watched  # type: ignore[attr-defined]
            await pilot.press(*"1605.08386", "enter")
            await app.workers.wait_for_complete()
            await pilot.pause()
            text = str(screen.query_one("#progress-text", Static).render())
            assert text.startswith("ingest finished: new 1"), text
            runs = screen.query_one("#runs-table", DataTable)
            assert runs.get_row_at(0)[0] == "ingest"
        assert any(w.startswith("fetch") for w in seen), seen  # live progress reached the screen
        assert kb_papers.get_paper(svc.db, "1605.08386") is not None
    finally:
        server.close()


@pytest.mark.anyio
async def test_an_empty_knowledge_base_says_what_to_run(tmp_path: Path) -> None:
    from kb.db import Database
    from kb.plan import load_plan
    from tui.services import TuiServices

    app = build_app(TuiServices(plan=load_plan(), db=Database(tmp_path / "paperplan.db"), data_dir=tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert any("paperplan init" in n.message for n in app._notifications)


@pytest.mark.anyio
async def test_a_note_changed_outside_the_app_is_not_overwritten(services: Services) -> None:
    app = seeded_app(services)
    async with app.run_test(size=SIZE) as pilot:
        app.open_paper(MMML)
        await pilot.pause()
        path = services.paths.notes / f"{MMML}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("---\nid: x\n---\nwritten in Obsidian meanwhile\n", encoding="utf-8")
        app.screen.query_one("#note", TextArea).insert("written in the app")
        await pilot.press("ctrl+s")
        await pilot.pause()
        messages = [n.message for n in app._notifications]
        assert any("changed outside the app" in m and "conflict" in m for m in messages), messages
        assert isinstance(app.screen, PaperScreen)
    assert "written in Obsidian meanwhile" in path.read_text(encoding="utf-8")
    (side,) = path.parent.glob(f"{MMML}*conflict*.md")
    assert "written in the app" in side.read_text(encoding="utf-8")


@pytest.mark.anyio
async def test_jobs_screen_runs_the_weekly_job_now(services: Services) -> None:
    app = seeded_app(services)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f7")
        await app.workers.wait_for_complete()
        await pilot.pause()
        jobs = app.screen.query_one("#jobs-table", DataTable)
        assert [jobs.get_row_at(i)[0] for i in range(jobs.row_count)] == ["nightly", "weekly"]
        jobs.focus()
        await pilot.press("down", "n")
        await app.workers.wait_for_complete()
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert str(app.screen.query_one("#progress-text", Static).render()).startswith("weekly finished")
        runs = app.screen.query_one("#runs-table", DataTable)
        assert runs.get_row_at(0)[0] == "weekly"
    assert services.db.scalar("SELECT COUNT(*) FROM runs WHERE kind = 'weekly' AND ok = 1") == 1


@pytest.mark.anyio
async def test_dashboard_quizzes_the_current_topic(tmp_path: Path) -> None:
    from tests.tui_seed import CannedQuiz

    app = build_app(seeded_services(tmp_path, quiz=CannedQuiz([])))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("z")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, QuizScreen)
        assert "topic 1. 多模态基本概念" in str(app.screen.query_one("#quiz-scope").render())
