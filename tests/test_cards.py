"""Card storage and FSRS scheduling with a fixed clock, on a real SQLite database."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import fsrs
import pytest

from kb import cards, papers
from kb.cards import Card, make_scheduler, record_review
from kb.db import Database
from kb.plan import load_plan
from kb.types import Paper, TopicAssignment

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def db(tmp_path) -> Iterator[Database]:
    database = Database(tmp_path / "paperplan.db")
    papers.sync_topics(database, load_plan())
    yield database
    database.close()


def add_paper(db: Database, paper_id: str, topic: int, score: float = 0.8, confirmed: int = 0) -> None:
    papers.upsert_paper(db, Paper(id=paper_id, title=f"Paper {paper_id}", source="arxiv"))
    papers.set_topic_assignments(db, paper_id, [TopicAssignment(paper_id, topic, score, "embedding",
                                                                confirmed=confirmed)])


def make_card(paper_id: str, n: int, topic: int | None = None) -> Card:
    return Card(type="short", question=f"What does method {n} of {paper_id} do?", answer=f"answer {n}",
                paper_id=paper_id, topic=topic, source_quote=f"method {n} does answer {n}")


def test_intervals_follow_fsrs_and_grow_on_good_shrink_on_again(db: Database) -> None:
    add_paper(db, "2401.00001", 1)
    [card_id] = cards.add_cards(db, [make_card("2401.00001", 1)])
    scheduler = make_scheduler(0.9, fuzz=False)
    reference = fsrs.Card(card_id=1)
    now = T0
    intervals = []
    for rating in (3, 3, 3, 3):
        outcome = record_review(db, card_id, rating, now, scheduler=scheduler)
        reference, _ = scheduler.review_card(reference, fsrs.Rating(rating), now)
        assert outcome.next_due == reference.due  # exactly what FSRS itself schedules
        intervals.append(outcome.next_due - now)
        now = outcome.next_due
    assert intervals[1] < intervals[2] < intervals[3]  # past the learning steps, good keeps growing
    lapse = record_review(db, card_id, 1, now, scheduler=scheduler)
    assert lapse.next_due - now < intervals[-1]
    assert lapse.next_due - now <= timedelta(minutes=10)  # FSRS's relearning step
    assert cards.review_count(db, card_id) == 5


def test_desired_retention_shortens_intervals_when_raised(db: Database) -> None:
    add_paper(db, "2401.00001", 1)
    ids = cards.add_cards(db, [make_card("2401.00001", 1), make_card("2401.00001", 2)])
    loose, strict = make_scheduler(0.8, fuzz=False), make_scheduler(0.97, fuzz=False)
    for card_id, scheduler in zip(ids, (loose, strict), strict=True):
        now = T0
        for _ in range(3):
            now = record_review(db, card_id, 3, now, scheduler=scheduler).next_due
        record_review(db, card_id, 3, now, scheduler=scheduler)
    due = {c.id: c.due for c in cards.list_cards(db)}
    assert due[ids[1]] < due[ids[0]]


def test_due_cards_are_ordered_most_overdue_first_and_new_cards_are_not_due(db: Database) -> None:
    add_paper(db, "2401.00001", 1)
    add_paper(db, "2401.00002", 5)
    ids = cards.add_cards(db, [make_card("2401.00001", i) for i in range(3)] + [make_card("2401.00002", 9)])
    scheduler = make_scheduler(fuzz=False)
    assert cards.due_cards(db, T0) == [] and cards.due_count(db, T0) == 0
    record_review(db, ids[2], 1, T0, scheduler=scheduler)  # again: due in a minute
    record_review(db, ids[0], 2, T0, scheduler=scheduler)  # hard: later
    record_review(db, ids[3], 1, T0 + timedelta(seconds=30), scheduler=scheduler)
    later = T0 + timedelta(hours=1)
    due = cards.due_cards(db, later)
    assert [c.id for c in due] == [ids[2], ids[3], ids[0]]
    assert cards.due_count(db, later) == 3
    assert [c.id for c in cards.due_cards(db, later, topic=1)] == [ids[2], ids[0]]
    assert [c.id for c in cards.due_cards(db, later, stage_topics=[5, 6])] == [ids[3]]
    assert [c.id for c in cards.new_cards(db, 10)] == [ids[1]]


def test_card_topic_is_its_own_else_the_papers_best_mapping(db: Database) -> None:
    add_paper(db, "2401.00001", 3)
    cards.add_cards(db, [make_card("2401.00001", 1), make_card("2401.00001", 2, topic=7)])
    assert sorted(c.topic for c in cards.list_cards(db)) == [3, 7]
    papers.set_topic_assignments(db, "2401.00001", [TopicAssignment("2401.00001", 4, 0.9, "llm")])
    assert sorted(c.topic for c in cards.list_cards(db)) == [4, 7]  # follows the re-mapping


def test_topic_mastery_is_mean_retrievability_with_coverage(db: Database) -> None:
    add_paper(db, "2401.00001", 1)
    add_paper(db, "2401.00002", 1)
    ids = cards.add_cards(db, [make_card("2401.00001", 1), make_card("2401.00001", 2)])
    mastery = cards.topic_mastery(db, T0)
    assert set(mastery) >= set(range(1, 13))  # every plan topic, even without cards
    assert mastery[1].cards == 2 and mastery[1].mastery == 0.0  # never reviewed: nothing recalled yet
    assert (mastery[1].papers, mastery[1].papers_with_cards) == (2, 1)
    assert mastery[2].cards == 0 and mastery[2].mastery == 0.0
    scheduler = make_scheduler(fuzz=False)
    now = T0
    for _ in range(3):
        now = record_review(db, ids[0], 3, now, scheduler=scheduler).next_due
    later = cards.topic_mastery(db, now)
    expected = cards.retrievability(cards.get_card(db, ids[0]), now) / 2
    assert later[1].mastery == pytest.approx(expected)
    assert 0.3 < later[1].mastery < 0.5  # one card well known, one never seen
    stages = cards.stage_mastery(db, now)
    assert stages[1].cards == 2 and stages[1].mastery == pytest.approx(expected)


def test_reviews_by_day_fills_missing_days_with_zero(db: Database) -> None:
    add_paper(db, "2401.00001", 1)
    ids = cards.add_cards(db, [make_card("2401.00001", i) for i in range(3)])
    for i, card_id in enumerate(ids):
        record_review(db, card_id, 3, T0 + timedelta(days=2 * (i > 0)))
    days = cards.reviews_by_day(db, 4, today=date(2026, 3, 4))
    assert days == [(date(2026, 3, 1), 0), (date(2026, 3, 2), 1), (date(2026, 3, 3), 0), (date(2026, 3, 4), 2)]


def test_bad_rating_and_unknown_card_are_clear_errors(db: Database) -> None:
    with pytest.raises(cards.CardError, match="nope"):
        record_review(db, "nope", 3, T0)
    add_paper(db, "2401.00001", 1)
    [card_id] = cards.add_cards(db, [make_card("2401.00001", 1)])
    with pytest.raises(cards.CardError, match="rating 7"):
        record_review(db, card_id, 7, T0)
    assert cards.review_count(db) == 0


def test_adding_the_same_card_twice_keeps_one(db: Database) -> None:
    add_paper(db, "2401.00001", 1)
    assert len(cards.add_cards(db, [make_card("2401.00001", 1)])) == 1
    assert cards.add_cards(db, [make_card("2401.00001", 1)]) == []
    assert len(cards.list_cards(db)) == 1


def test_stage_assessment_pass_is_a_milestone(db: Database) -> None:
    assert not cards.record_stage_assessment(db, 1, 0.5, 0.7, {"asked": 10})
    assert cards.stage_assessment_passed(db, 1) is None
    assert cards.record_stage_assessment(db, 1, 0.8, 0.7, {"asked": 10})
    assert cards.stage_assessment_passed(db, 1) is not None
