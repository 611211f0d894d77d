"""`paperplan quiz`, `quiz generate` and `export anki|cards` through the real CLI.

Fake chat models stand in for the LLM (logic only); SQLite, genanki and the CSV writer are real.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kb import cards, papers
from kb.cards import Card
from kb.types import Paper, TopicAssignment
from paperplan import cli
from paperplan.wiring import Services
from tests.test_quiz_generation import GOOD_CLOZE, GOOD_MCQ, GOOD_SHORT, add_paper, fake_llm

runner = CliRunner()


@pytest.fixture
def svc(services: Services, monkeypatch: pytest.MonkeyPatch) -> Services:
    """The CLI's services are this test's (hash embedder, a fake LLM set per test)."""
    monkeypatch.setattr(cli, "services", lambda: services)
    return services


def seed_cards(svc: Services, n: int, topic: int = 1) -> list[str]:
    """`n` multiple-choice cards whose right answer is the option text 'right n'."""
    papers.sync_topics(svc.db, svc.plan)
    papers.upsert_paper(svc.db, Paper(id="2103.00020", title="CLIP", source="arxiv"))
    papers.set_topic_assignments(svc.db, "2103.00020", [TopicAssignment("2103.00020", topic, 0.9, "embedding")])
    return cards.add_cards(svc.db, [
        Card(type="mcq", question=f"Question {i}?", answer=f"right {i}", options=[f"right {i}", "wrong x", "wrong y",
             "wrong z"], paper_id="2103.00020", section="Abstract", source_quote=f"The passage says right {i}.")
        for i in range(n)])


def test_generate_json_prints_only_the_cards_document(svc: Services) -> None:
    add_paper(svc)
    svc.llm = fake_llm(GOOD_MCQ, GOOD_SHORT, GOOD_CLOZE)  # type: ignore[misc]
    result = runner.invoke(cli.app, ["quiz", "generate", "--paper", "2103.00020", "--count", "3", "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert len(document["cards"]) == 3
    for card in document["cards"]:
        assert {"id", "type", "question", "options", "answer", "paper_id", "section", "pages",
                "source_quote"} <= set(card)
        assert card["paper_id"] == "2103.00020" and card["source_quote"]
    assert {c["type"] for c in document["cards"]} == {"mcq", "short", "cloze"}
    assert len(cards.list_cards(svc.db)) == 3


def test_generate_for_a_topic_reports_dropped_junk(svc: Services) -> None:
    add_paper(svc, topic=2)
    svc.llm = fake_llm("junk")  # type: ignore[misc]
    result = runner.invoke(cli.app, ["quiz", "generate", "--topic", "2", "--count", "2"])
    assert result.exit_code == 0, result.output
    assert "0 new cards stored" in result.stdout and "2 dropped" in result.stdout
    assert cards.list_cards(svc.db) == []


def test_generate_needs_exactly_one_scope(svc: Services) -> None:
    result = runner.invoke(cli.app, ["quiz", "generate"])
    assert result.exit_code == 2 and "exactly one of --paper" in result.output
    result = runner.invoke(cli.app, ["quiz", "generate", "--paper", "x", "--topic", "1"])
    assert result.exit_code == 2


def test_generate_for_an_unknown_paper_or_topic_is_a_clear_error(svc: Services) -> None:
    papers.sync_topics(svc.db, svc.plan)
    result = runner.invoke(cli.app, ["quiz", "generate", "--paper", "2401.00000"])
    assert result.exit_code == 1
    assert "error: no paper '2401.00000'" in result.stderr and "hint: add it with" in result.stderr
    result = runner.invoke(cli.app, ["quiz", "generate", "--topic", "99"])
    assert result.exit_code == 1 and "topic 99 is not in the plan" in result.stderr


def test_interactive_session_with_piped_answers_saves_each_review(svc: Services) -> None:
    seed_cards(svc, 3)
    session = cards.session_cards(svc.db, datetime.now(UTC), count=3, new_limit=10)
    # Right answer by its letter for the first card, a wrong letter for the second, then quit.
    first, second = session[0], session[1]
    right_letter = "abcd"[first.options.index(first.answer)]
    wrong_letter = "abcd"[next(i for i, o in enumerate(second.options) if o != second.answer)]
    result = runner.invoke(cli.app, ["quiz", "--count", "3"], input=f"{right_letter}\ng\n{wrong_letter}\n\nq\n")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "3 cards: 0 due, 3 new" in out
    assert "✓ right." in out and f"✗ the answer is: {second.answer}" in out
    assert "source: CLIP (2103.00020), Abstract" in out and "The passage says" in out
    assert out.count("saved (") == 2 and "saved (again)" in out  # enter took the suggested rating
    assert "Session done: 1 of 2 right" in out
    assert cards.review_count(svc.db) == 2


def test_session_without_cards_says_how_to_make_some(svc: Services) -> None:
    papers.sync_topics(svc.db, svc.plan)
    result = runner.invoke(cli.app, ["quiz", "--topic", "3"])
    assert result.exit_code == 0
    assert "Nothing to review for topic 3" in result.stdout and "paperplan quiz generate --topic 3" in result.stdout


def test_stage_assessment_passed_is_recorded_as_a_milestone(svc: Services) -> None:
    ids = seed_cards(svc, 4, topic=1)
    by_id = {c.id: c for c in cards.list_cards(svc.db)}
    chosen = cards.assessment_cards(svc.db, [1, 2], 4, seed=None)
    assert {c.id for c in chosen} == set(ids)
    svc.quiz.assessment = lambda stage, count=None, seed=None: chosen  # type: ignore[method-assign]
    # Three right (typing the option's text), one wrong: 75% against the 70% pass mark.
    answers = "".join(f"{by_id[c.id].answer}\ng\n" for c in chosen[:3]) + "nonsense\n\n"
    result = runner.invoke(cli.app, ["quiz", "--stage", "1", "--assessment", "--count", "4"], input=answers)
    assert result.exit_code == 0, result.output
    assert "能够解释多模态概念" in result.stdout  # the plan's own 阶段性评估 for stage 1
    assert "3 of 4 right (75%), pass mark 70%: PASSED" in result.stdout
    assert cards.stage_assessment_passed(svc.db, 1) is not None


def test_stage_assessment_below_the_pass_mark_records_nothing(svc: Services) -> None:
    seed_cards(svc, 2, topic=1)
    result = runner.invoke(cli.app, ["quiz", "--stage", "1", "--assessment", "--count", "2"],
                           input="nonsense\n\nnonsense\n\n")
    assert result.exit_code == 0, result.output
    assert "0 of 2 right" in result.stdout and "not passed yet" in result.stdout
    assert cards.stage_assessment_passed(svc.db, 1) is None


def test_assessment_needs_a_stage(svc: Services) -> None:
    result = runner.invoke(cli.app, ["quiz", "--assessment"])
    assert result.exit_code == 2 and "--assessment needs --stage" in result.output


def test_export_anki_writes_a_genanki_package_with_one_note_per_card(svc: Services, tmp_path: Path) -> None:
    seed_cards(svc, 2)
    add_paper(svc, paper_id="2201.00001")
    cards.add_cards(svc.db, [Card(type="cloze", question="CLIP performs _____ at test time.",
                                  answer="zero-shot classification", paper_id="2201.00001")])
    target = tmp_path / "deck.apkg"
    result = runner.invoke(cli.app, ["export", "anki", str(target), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"file": str(target), "format": "anki", "cards": 3}
    assert zipfile.is_zipfile(target)
    with zipfile.ZipFile(target) as archive:
        assert "collection.anki2" in archive.namelist()
        (tmp_path / "c.anki2").write_bytes(archive.read("collection.anki2"))
    with sqlite3.connect(tmp_path / "c.anki2") as conn:
        notes = [r[0] for r in conn.execute("SELECT flds FROM notes")]
    assert len(notes) == 3
    assert any("{{c1::zero-shot classification}}" in n for n in notes)


def test_export_cards_writes_csv_rows(svc: Services, tmp_path: Path) -> None:
    ids = seed_cards(svc, 2)
    cards.record_review(svc.db, ids[0], 3, datetime(2026, 3, 2, tzinfo=UTC))
    target = tmp_path / "cards.csv"
    result = runner.invoke(cli.app, ["export", "cards", str(target)])
    assert result.exit_code == 0 and f"wrote 2 cards to {target}" in result.stdout
    with target.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["id"] for r in rows] == ids
    assert rows[0]["reviews"] == "1" and rows[0]["due"].startswith("2026-03-02")
    assert rows[0]["options"] == "right 0 | wrong x | wrong y | wrong z" and rows[1]["reviews"] == "0"


def test_export_to_a_missing_folder_is_a_clear_error(svc: Services, tmp_path: Path) -> None:
    result = runner.invoke(cli.app, ["export", "cards", str(tmp_path / "nowhere" / "cards.csv")])
    assert result.exit_code == 1 and "does not exist" in result.stderr


def test_a_session_killed_mid_way_keeps_exactly_the_answers_it_acknowledged(services: Services) -> None:
    """SIGKILL after N rated answers (and one more answered but not yet rated): N reviews."""
    seed_cards(services, 5)
    services.db.close()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "paperplan.cli", "quiz", "--count", "5"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    assert proc.stdin is not None and proc.stdout is not None
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(proc.stdout.readline, "")), daemon=True)
    reader.start()
    acknowledged = 3

    def wait_for(count: int) -> None:
        deadline = time.monotonic() + 120
        while sum("saved (" in line for line in lines) < count:
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.monotonic() < deadline, "the session did not acknowledge the answers"
            time.sleep(0.05)

    try:
        for n in range(acknowledged):
            proc.stdin.write("a\ng\n")
            proc.stdin.flush()
            wait_for(n + 1)
        proc.stdin.write("b\n")  # answered, not yet rated: not acknowledged
        proc.stdin.flush()
        time.sleep(0.3)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    assert proc.returncode == -signal.SIGKILL
    with sqlite3.connect(services.paths.db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM reviews").fetchone()[0] == acknowledged
        assert conn.execute("SELECT COUNT(*) FROM cards WHERE due IS NOT NULL").fetchone()[0] == acknowledged
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_an_unknown_rating_is_asked_again_and_q_before_rating_saves_nothing(svc: Services) -> None:
    seed_cards(svc, 2)
    result = runner.invoke(cli.app, ["quiz"], input="a\nmaybe\ne\na\nq\n")
    assert result.exit_code == 0, result.output
    assert "type a, h, g or e" in result.stdout and "saved (easy)" in result.stdout
    assert result.stdout.count("saved (") == 1 and cards.review_count(svc.db) == 1
