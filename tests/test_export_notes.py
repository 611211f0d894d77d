"""`paperplan export bibtex|vault|progress` as the learner runs them."""

from __future__ import annotations

import json
import re
from pathlib import Path

import bibtexparser
import pytest
from typer.testing import CliRunner

from kb import papers
from kb.db import utc_now
from kb.exports import Selection, SelectionError, select_papers
from kb.notes import split_front_matter
from kb.types import Paper, TopicAssignment
from paperplan import cli
from paperplan.wiring import Services

runner = CliRunner()


def add(svc: Services, paper_id: str, title: str, topic: int, *, status: str = "new") -> None:
    papers.upsert_paper(svc.db, Paper(id=paper_id, title=title, source="arxiv", authors=["Mei Chen", "Raj Patel"],
                                      published="2025-02-15", primary_category="cs.CV",
                                      abstract=f"Abstract of {title}."))
    papers.set_topic_assignments(svc.db, paper_id, [TopicAssignment(paper_id, topic, 0.8, "embedding")])
    if status != "new":
        papers.set_reading_status(svc.db, paper_id, status)


@pytest.fixture
def cli_services(services: Services, monkeypatch: pytest.MonkeyPatch) -> Services:
    papers.sync_topics(services.db, services.plan)
    add(services, "2502.10816", "Vision & Language: 100% fusion", 3, status="read")
    add(services, "2401.00001", "Audio tokens", 4, status="queued")
    add(services, "2403.00003", "Document layout", 9)  # stage 3 or later, untouched
    with services.db.transaction() as conn:
        conn.execute("INSERT INTO recommendations (week, paper_id, rank, score, why, created_at) VALUES"
                     " ('2026-W48', '2403.00003', 1, 0.9, 'fills topic 9', ?),"
                     " ('2026-W48', '2401.00001', 2, 0.8, 'next in topic 4', ?)", (utc_now(), utc_now()))
    monkeypatch.setattr(cli, "services", lambda: services)
    return services


def test_export_bibtex_of_read_papers_to_a_file(cli_services: Services, tmp_path: Path) -> None:
    target = tmp_path / "refs.bib"
    result = runner.invoke(cli.app, ["export", "bibtex", str(target), "--read"])
    assert result.exit_code == 0, result.output
    assert "wrote 1 entries (read)" in result.stdout
    library = bibtexparser.parse_file(str(target))
    assert [e.key for e in library.entries] == ["chen2025vision"]
    entry = library.entries[0]
    assert entry["eprint"] == "2502.10816" and entry["archivePrefix"] == "arXiv" and entry["primaryClass"] == "cs.CV"
    assert entry["title"] == r"Vision \& Language: 100\% fusion" and entry["author"] == "Mei Chen and Raj Patel"


def test_export_bibtex_json_of_the_weeks_picks_in_rank_order(cli_services: Services) -> None:
    result = runner.invoke(cli.app, ["export", "bibtex", "--week", "latest", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert list(report["keys"]) == ["2403.00003", "2401.00001"]
    assert report["bibtex"].index("2403.00003") < report["bibtex"].index("2401.00001")


def test_selection_filters_combine(cli_services: Services) -> None:
    db, plan = cli_services.db, cli_services.plan
    stage_of_4 = plan.stage_of(4).number
    assert [p.id for p in select_papers(db, Selection(topic=3), plan)] == ["2502.10816"]
    assert "2401.00001" in [p.id for p in select_papers(db, Selection(stage=stage_of_4), plan)]
    assert select_papers(db, Selection(read=True, topic=4), plan) == []
    with pytest.raises(SelectionError, match="no topic 99"):
        select_papers(db, Selection(topic=99), plan)


def test_export_bibtex_unknown_id_is_named(cli_services: Services) -> None:
    result = runner.invoke(cli.app, ["export", "bibtex", "--ids", "2502.10816,9999.00001"])
    assert result.exit_code == 1 and "9999.00001" in result.stderr and "hint:" in result.stderr


def test_export_vault_links_papers_topics_and_stages(cli_services: Services, tmp_path: Path) -> None:
    cli_services.notes.save("2502.10816", "Fusion at the token level, see [[topic-3]].", "")
    cli_services.notes.save("topic-3", "My summary of fusion.", "")
    cli_services.notes.append("journal", "Started the vault.")
    target = tmp_path / "vault"

    result = runner.invoke(cli.app, ["export", "vault", str(target), "--json"])

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["papers"] == 2 and report["notes"] == 1  # the read and the queued paper; not the untouched one
    paper_page = (target / "papers" / "2502.10816.md").read_text(encoding="utf-8")
    front, body = split_front_matter(paper_page)
    assert front["id"] == "2502.10816" and "Fusion at the token level" in body
    assert "[[topic-3|3. " in body
    topic_page = (target / "topics" / "topic-3.md").read_text(encoding="utf-8")
    assert "[[2502.10816|Vision & Language: 100% fusion]]" in topic_page and "My summary of fusion." in topic_page
    stage = cli_services.plan.stage_of(3).number
    assert f"[[stage-{stage}|" in topic_page
    assert "[[topic-3|" in (target / "stages" / f"stage-{stage}.md").read_text(encoding="utf-8")
    assert "Started the vault." in (target / "journal.md").read_text(encoding="utf-8")
    # Every wiki link points at a page that exists.
    pages = {p.stem for p in target.rglob("*.md")}
    links = {m for p in target.rglob("*.md") for m in re.findall(r"\[\[([^|\]]+)", p.read_text(encoding="utf-8"))}
    assert links <= pages, links - pages


def test_export_vault_refuses_a_foreign_non_empty_folder(cli_services: Services, tmp_path: Path) -> None:
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.tex").write_text("precious", encoding="utf-8")
    result = runner.invoke(cli.app, ["export", "vault", str(tmp_path / "mine")])
    assert result.exit_code == 1 and "not written by paperplan" in result.stderr
    assert (tmp_path / "mine" / "thesis.tex").read_text(encoding="utf-8") == "precious"
    # … but rewriting our own earlier export is fine.
    assert runner.invoke(cli.app, ["export", "vault", str(tmp_path / "v")]).exit_code == 0
    assert runner.invoke(cli.app, ["export", "vault", str(tmp_path / "v")]).exit_code == 0


def test_export_progress_markdown(cli_services: Services, tmp_path: Path) -> None:
    target = tmp_path / "progress.md"
    result = runner.invoke(cli.app, ["export", "progress", str(target)])
    assert result.exit_code == 0, result.output
    text = target.read_text(encoding="utf-8")
    assert text.startswith("# Progress: ") and "**Now:** stage 1" in text
    assert "| topic | read |" in text and "Vision & Language: 100% fusion (2502.10816)" in text
    result = runner.invoke(cli.app, ["export", "progress", "--json"])
    assert json.loads(result.stdout)["progress"]["totals"]["read"] == 1
