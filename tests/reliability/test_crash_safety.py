"""The short version of the crash harness (`make reliability` runs the long one, ≥ 50 kills):
one SIGKILL per workload at an instrumented point, then the next start must find the KB
consistent and every acknowledged review, note and added paper there."""

from __future__ import annotations

from pathlib import Path

from tests.reliability.crash import run_crash_suite


def test_a_few_kills_leave_a_consistent_kb(tmp_path: Path) -> None:
    report = run_crash_suite(tmp_path, {"ingest": 1, "quiz": 1, "notes": 1}, seed=3)
    assert report.failures == []
    assert report.kills == 3
    assert report.survived == report.kills


def test_the_check_notices_a_lost_acknowledged_review(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The harness's check can fail: an acknowledged review that is not in the KB is reported."""
    from tests.reliability import crash

    work = tmp_path / "quiz"
    work.mkdir()
    monkeypatch.setenv("PAPERPLAN_HOME", str(work / "data"))
    crash.setup("quiz", work)
    (work / "acks.log").write_text("review 4242 card-0000000000000000 3\n", encoding="utf-8")
    result = crash.start_and_check("quiz", work, kills_so_far=0)
    assert not result["ok"]
    assert any("review 4242" in p for p in result["problems"])
