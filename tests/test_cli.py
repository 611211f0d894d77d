"""The foundation's commands, run as a user runs them (CliRunner), on the real embedder."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from paperplan.cli import app

runner = CliRunner()


def invoke(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_init_seeds_the_plan_papers_offline_and_a_second_init_changes_nothing(tmp_path: Path) -> None:
    first = invoke("init", "--json")
    assert first.exit_code == 0, first.stderr
    report = json.loads(first.stdout)
    assert report["plan"] == {"source": report["plan"]["source"], "stages": 5, "topics": 12, "surveys": 20}
    assert len(report["seeded"]["new"]) == 25  # 20 topic surveys + books and datasets with a snapshot record
    assert report["seeded"]["missing"] == ["1901.07042"]  # MIMIC-CXR: no verified metadata shipped

    second = invoke("init", "--json")
    assert second.exit_code == 0
    again = json.loads(second.stdout)
    assert again["seeded"]["new"] == [] and again["seeded"]["updated"] == []
    assert len(again["seeded"]["unchanged"]) == 25

    status = json.loads(invoke("status", "--json").stdout)
    counts = status["counts"]
    assert counts["papers"] == 25 and counts["chunks"] == 25 and counts["vectors"] == 25
    assert counts["topics_covered"] == 10  # topics 11 and 12 name no paper
    assert status["backends"]["vector_store"].startswith("embedded chroma ")
    assert status["backends"]["embedder"] == "all-minilm-l6-v2"
    assert status["data_dir"] == str(tmp_path / "data")


def test_missing_abstracts_stay_missing(tmp_path: Path) -> None:
    assert invoke("init").exit_code == 0
    from kb import papers
    from paperplan.wiring import build_services

    db = build_services().db
    vit = papers.get_paper(db, "2101.01169")  # Transformers in Vision: no verified abstract was found
    assert vit is not None and vit.abstract == "" and vit.title == "Transformers in Vision: A Survey"
    grounding = papers.topic_assignments(db, "2412.20206")
    assert [(a.topic, a.method, a.confirmed) for a in grounding] == [(7, "plan", 1)]


def test_status_before_init_says_how_to_start() -> None:
    result = invoke("status")
    assert result.exit_code == 0
    assert "not initialised yet: run `paperplan init`" in result.stdout


def test_plan_show_json_has_the_documented_shape() -> None:
    result = invoke("plan", "show", "--json")
    assert result.exit_code == 0
    tree = json.loads(result.stdout)
    assert len(tree["stages"]) == 5
    topic = tree["stages"][1]["topics"][0]
    assert set(topic) >= {"number", "title", "title_en", "resources", "project"}
    assert topic["number"] == 3 and topic["resources"][0]["arxiv_id"] == "2502.01524"


def test_plan_show_prints_the_chinese_tree() -> None:
    result = invoke("plan", "show")
    assert result.exit_code == 0
    assert "多模态融合与对齐技术" in result.stdout and "arXiv:2502.10816" in result.stdout


def test_a_config_typo_is_one_line_with_a_hint_and_exit_1(tmp_path: Path) -> None:
    (tmp_path / "user-config.toml").write_text("[llm]\nprovidr = 'ollama'\n", encoding="utf-8")
    result = runner.invoke(app, ["status"])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ") and "'providr'" in result.stderr and "user-config.toml" in result.stderr
    assert "hint: " in result.stderr and "Traceback" not in result.stderr


def test_a_broken_plan_file_is_named(tmp_path: Path) -> None:
    plan = tmp_path / "mine.md"
    plan.write_text("# Mine\n\n### Stage 1: A\n\nstray text\n", encoding="utf-8")
    (tmp_path / "user-config.toml").write_text(f"[plan]\npath = '{plan}'\n", encoding="utf-8")
    result = runner.invoke(app, ["plan", "show"])
    assert result.exit_code == 1
    assert f"{plan}, line 5: expected a topic heading" in result.stderr


def test_usage_errors_exit_2() -> None:
    result = runner.invoke(app, ["plan", "show", "--bogus"])
    assert result.exit_code == 2
