"""`paperplan note ID` and `paperplan notes …` as the learner runs them."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kb import papers
from paperplan import cli
from paperplan.wiring import Services
from tests.test_notes import add_paper

runner = CliRunner()


@pytest.fixture
def cli_services(services: Services, monkeypatch: pytest.MonkeyPatch) -> Services:
    papers.sync_topics(services.db, services.plan)
    add_paper(services)
    monkeypatch.setattr(cli, "services", lambda: services)
    return services


def fake_editor(tmp_path: Path, line: str) -> str:
    script = tmp_path / "editor.sh"
    script.write_text(f'#!/bin/sh\nprintf "\\n{line}\\n" >> "$1"\n', encoding="utf-8")
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return str(script)


def test_note_opens_the_editor_and_indexes_the_edit(cli_services: Services, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", fake_editor(tmp_path, "Platypus adapters fuse audio late."))

    result = runner.invoke(cli.app, ["note", "2502.10816", "--json"])

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["changed"] is True
    path = Path(report["path"])
    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\nid: '2502.10816'") or text.startswith("---\nid: \"2502.10816\"")
    assert "Platypus adapters fuse audio late." in text
    hits = cli_services.kb.dense_search("platypus adapters audio", k=2, where={"kind": "note"})
    assert hits and "Platypus" in hits[0].chunk.text


def test_note_without_an_editor_says_how_to_set_one(cli_services: Services,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", "")
    result = runner.invoke(cli.app, ["note", "2502.10816"])
    assert result.exit_code == 1
    assert "error: no editor is set" in result.stderr and "hint: set EDITOR" in result.stderr


def test_note_for_an_unknown_paper_names_it(cli_services: Services, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDITOR", fake_editor(tmp_path, "x"))
    result = runner.invoke(cli.app, ["note", "1234.56789"])
    assert result.exit_code == 1 and "1234.56789" in result.stderr


def test_notes_search_json_finds_a_note_written_outside(cli_services: Services) -> None:
    vault = cli_services.notes
    vault.save("2502.10816", "Nothing yet.", "")
    path = vault.note_path("2502.10816")
    path.write_text(path.read_text(encoding="utf-8") + "\nQuokka tokens are pruned after layer four.\n",
                    encoding="utf-8")
    vault.save("topic-3", "Contrastive losses and quokka batches.", "")

    result = runner.invoke(cli.app, ["notes", "search", "quokka tokens pruned", "--json"])

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)  # one JSON document, nothing else on stdout
    assert report["hits"][0]["note_id"] == "2502.10816"
    assert "Quokka tokens" in report["hits"][0]["excerpt"]
    assert {h["note_id"] for h in report["hits"]} >= {"2502.10816", "topic-3"}


def test_notes_sync_reports_conflicts(cli_services: Services) -> None:
    vault = cli_services.notes
    first = vault.save("2502.10816", "v1", "")
    vault.note_path("2502.10816").write_text("changed outside", encoding="utf-8")
    conflict = vault.save("2502.10816", "v2 from the app", first.hash).conflict
    assert conflict is not None

    result = runner.invoke(cli.app, ["notes", "sync"])

    assert result.exit_code == 0
    assert f"conflict kept for you to merge: {conflict.name}" in result.stdout


def test_journal_entries_are_dated_and_kept(cli_services: Services) -> None:
    for entry in ("Idea: gated fusion for tiny models.", "Tried it: +2 points."):
        assert runner.invoke(cli.app, ["notes", "journal", entry]).exit_code == 0
    text = cli_services.notes.journal_path().read_text(encoding="utf-8")
    assert "gated fusion for tiny models" in text and "+2 points" in text and text.count("## ") == 2


def test_ask_finds_a_note_saved_a_moment_ago_without_a_sync(cli_services: Services) -> None:
    # The TUI saves notes with index=False and an editor writes the file directly: neither is
    # in the index until something syncs, and the learner asks right away.
    path = cli_services.notes.ensure("2502.10816").path
    path.write_text(path.read_text(encoding="utf-8") + "\nWombat gating merges audio after the fusion block.\n",
                    encoding="utf-8")

    result = runner.invoke(cli.app, ["ask", "--retrieve-only", "wombat gating audio fusion", "--json"])

    assert result.exit_code == 0, result.output
    passages = json.loads(result.stdout)["passages"]
    assert passages and "Wombat gating" in passages[0]["text"]


def test_the_tui_answers_from_a_note_it_saved_a_moment_ago(cli_services: Services) -> None:
    from paperplan.commands.tui import AskAdapter, NotesAdapter
    from tests.test_ask import RecordingLLM

    notes = NotesAdapter(cli_services)
    notes.save("2502.10816", "Echidna pooling keeps one token per image patch row.", notes.load("2502.10816").version)
    llm = RecordingLLM(["Echidna pooling keeps one token per image patch row [1]."])
    cli_services.asker._llm_factory = lambda: llm

    answer = AskAdapter(cli_services)("What does echidna pooling keep?", "2502.10816", lambda _text: None)

    assert "Echidna pooling" in answer.text and [c.number for c in answer.citations] == [1]
    assert "Echidna pooling keeps one token" in llm.prompts[-1][1]  # the note was among the passages
