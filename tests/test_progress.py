"""Progress through the plan: what `paperplan progress` shows and how the learner marks things."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from typer.testing import CliRunner

from kb import cards, papers
from kb.db import Database
from kb.plan import Plan, load_plan
from kb.progress import compute_pace, compute_progress, set_project_done
from kb.types import Paper, TopicAssignment
from paperplan.cli import app
from paperplan.wiring import Services

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
PLAN = load_plan()


def add_paper(db: Database, paper_id: str, title: str, topic: int, *, score: float = 0.8, abstract: str = "",
              method: str = "embedding", source: str = "arxiv", published: str | None = "2026-11-20",
              plan_resource: bool = False, venue: str = "", kind: str = "paper") -> str:
    papers.upsert_paper(db, Paper(id=paper_id, title=title, source=source, abstract=abstract, published=published,
                                  plan_resource=plan_resource, venue=venue, kind=kind,
                                  url=f"https://arxiv.org/abs/{paper_id}"))
    papers.set_topic_assignments(db, paper_id, [TopicAssignment(paper_id, topic, score, method, "test",
                                                                1 if method == "plan" else 0)])
    return paper_id


def seed_plan(db: Database, plan: Plan = PLAN) -> None:
    """The plan's topics and its own surveys (as `init` seeds them), without vectors."""
    papers.sync_topics(db, plan)
    for topic, resource in plan.surveys:
        assert resource.arxiv_id
        add_paper(db, resource.arxiv_id, resource.title_en or resource.text, topic, score=1.0, method="plan",
                  source="snapshot", plan_resource=True, published="2025-01-15",
                  abstract=f"A survey of {plan.topic(topic).title_en}.")


@pytest.fixture
def db(services: Services) -> Database:
    seed_plan(services.db)
    return services.db


def test_a_fresh_learner_starts_at_topic_one_and_on_pace(db: Database) -> None:
    progress = compute_progress(db, PLAN, start_date=NOW.date(), now=NOW)
    assert (progress.current_stage, progress.current_topic) == (1, 1)
    assert progress.pace.status == "on pace"
    topic3 = progress.topic(3)
    assert (topic3.papers, topic3.read, topic3.surveys, topic3.mastery) == (2, 0, 2, None)
    assert topic3.project.startswith("设计并实现不同融合策略")


def test_reading_states_count_per_topic(db: Database) -> None:
    from kb.progress import set_reading

    survey_a, survey_b = (r.arxiv_id for r in PLAN.topic(3).surveys)
    assert survey_a and survey_b
    set_reading(db, survey_a, "read")
    set_reading(db, survey_b, "queued")
    add_paper(db, "2611.00001", "A new fusion method", 3)
    set_reading(db, "2611.00001", "reading")
    t = compute_progress(db, PLAN, now=NOW).topic(3)
    assert (t.papers, t.read, t.queued, t.reading, t.surveys_read) == (3, 1, 1, 1, 1)


def test_notes_and_due_cards_show_per_topic(db: Database) -> None:
    survey = PLAN.topic(3).surveys[0].arxiv_id
    with db.transaction() as conn:
        conn.execute("INSERT INTO notes (id, paper_id, path, content_hash, updated_at) VALUES (?, ?, ?, 'h', 'now')",
                     (survey, survey, f"{survey}.md"))
        conn.execute("INSERT INTO notes (id, paper_id, path, content_hash, updated_at)"
                     " VALUES ('topic-3', NULL, 'topic-3.md', 'h', 'now')")
    card = cards.Card(type="short", question="What is late fusion?", answer="Combining decisions.",
                      paper_id=survey, topic=3)
    cards.add_cards(db, [card])
    cards.record_review(db, card.id, 1, now=NOW - timedelta(days=30))  # forgotten: due again long ago
    progress = compute_progress(db, PLAN, now=NOW)
    t = progress.topic(3)
    assert (t.notes, t.cards, t.due) == (2, 1, 1)
    assert t.mastery is not None and 0.0 <= t.mastery < 1.0
    assert progress.cards_due == 1


def test_projects_and_assessments_move_the_current_topic(db: Database) -> None:
    set_project_done(db, PLAN, 1)
    assert compute_progress(db, PLAN, now=NOW).current_topic == 2
    set_project_done(db, PLAN, 2)
    # Every project of stage 1 ticked, its assessment not passed: still in stage 1.
    progress = compute_progress(db, PLAN, now=NOW)
    assert (progress.current_stage, progress.current_topic) == (1, 2)
    cards.record_stage_assessment(db, 1, score=0.8, pass_mark=0.7, detail={})
    progress = compute_progress(db, PLAN, now=NOW)
    assert (progress.current_stage, progress.current_topic) == (2, 3)
    assert progress.stages[0].assessment_passed and progress.totals["projects_done"] == 2
    set_project_done(db, PLAN, 2, done=False)
    assert not compute_progress(db, PLAN, now=NOW).topic(2).project_done


def test_pace_against_the_plan_durations() -> None:
    stages = PLAN.stages  # 1-2, 2-3, 2-3, 2-3 months, then open-ended
    start = date(2026, 1, 1)
    behind = compute_pace(stages, 1, start, "config", date(2026, 6, 1))  # 5 months in, still in stage 1
    assert behind.status == "behind" and behind.months == pytest.approx(5 - 2, abs=0.1)
    assert "Behind by 3.0 months" in behind.text
    ahead = compute_pace(stages, 3, start, "config", date(2026, 2, 1))  # stage 3 may start at month 3
    assert ahead.status == "ahead" and ahead.months == pytest.approx(2, abs=0.1)
    assert compute_pace(stages, 2, start, "config", date(2026, 3, 1)).status == "on pace"
    assert compute_pace(stages, 5, start, "config", date(2030, 1, 1)).status == "on pace"  # 持续: no end


@given(st.integers(min_value=1, max_value=5), st.integers(min_value=0, max_value=1500))
@example(stage=5, days=213)  # 6.997 months against a stage starting at month 7: was "ahead by 0.0 months"
def test_pace_is_one_consistent_verdict(stage: int, days: int) -> None:
    start = date(2026, 1, 1)
    pace = compute_pace(PLAN.stages, stage, start, "config", start + timedelta(days=days))
    assert pace.months >= 0
    assert (pace.months == 0) == (pace.status == "on pace")
    assert pace.status == "on pace" or (f"by {pace.months:.1f} months" in pace.text and pace.months >= 0.1)
    if pace.status == "ahead":
        assert pace.elapsed_months < pace.window_start[0]
    if pace.status == "behind":
        assert pace.window_end[1] is not None and pace.elapsed_months > pace.window_end[1]


runner = CliRunner()


def test_progress_json_uses_the_configured_start_date(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAPERPLAN_PLAN__START_DATE", "2020-01-01")
    result = runner.invoke(app, ["progress", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["current_topic"] == 1 and len(report["topics"]) == 12
    assert report["pace"]["start"] == "2020-01-01" and report["pace"]["start_source"] == "config"
    assert report["pace"]["status"] == "behind" and "Behind by" in report["pace"]["text"]


def test_progress_without_config_starts_at_init(db: Database) -> None:
    with db.transaction() as conn:
        conn.execute("INSERT INTO meta (key, value) VALUES ('plan_start', '2026-11-01')")
    report = json.loads(runner.invoke(app, ["progress", "--json"]).stdout)
    assert (report["pace"]["start"], report["pace"]["start_source"]) == ("2026-11-01", "init")


def test_progress_table_names_the_current_topic(db: Database) -> None:
    result = runner.invoke(app, ["progress"])
    assert result.exit_code == 0, result.output
    assert "Stage 1, topic 1 Multimodal fundamentals" in result.output and "▶ 1. Multimodal" in result.output


def test_read_queue_and_rate_commands_mark_papers(db: Database) -> None:
    survey = PLAN.topic(1).surveys[0].arxiv_id
    assert runner.invoke(app, ["queue", survey]).exit_code == 0
    result = runner.invoke(app, ["read", f"{survey}v3"])  # a versioned id names the same paper
    assert result.exit_code == 0 and f"{survey}: read" in result.output
    result = runner.invoke(app, ["rate", survey, "--too-hard"])
    assert result.exit_code == 0 and "rated too-hard" in result.output
    row = db.query("SELECT status, rating FROM reading WHERE paper_id = ?", (survey,))[0]
    assert (row["status"], row["rating"]) == ("read", "too-hard")


def test_rate_needs_exactly_one_rating(db: Database) -> None:
    survey = PLAN.topic(1).surveys[0].arxiv_id
    for flags in ([], ["--up", "--down"]):
        result = runner.invoke(app, ["rate", survey, *flags])
        assert result.exit_code == 1
        assert "error: rating" in result.output and "hint: give exactly one of" in result.output


def test_unknown_paper_is_named(db: Database) -> None:
    result = runner.invoke(app, ["read", "9999.99999"])
    assert result.exit_code == 1 and "no paper '9999.99999'" in result.output and "hint:" in result.output


def test_project_done_ticks_and_unknown_topic_is_an_error(db: Database) -> None:
    result = runner.invoke(app, ["project", "done", "3"])
    assert result.exit_code == 0 and "topic 3 project done: 设计并实现" in result.output
    assert compute_progress(db, PLAN, now=NOW).topic(3).project_done
    result = runner.invoke(app, ["project", "done", "42"])
    assert result.exit_code == 1 and "no topic 42" in result.output and "plan show" in result.output
