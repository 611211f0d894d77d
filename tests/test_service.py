"""The unattended service: schedules, catch-up, the shared ingest lock, failures, jobs, serve."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from typer.testing import CliRunner

from kb.locks import IngestLock
from kb.runs import last_run
from paperplan import jobs
from paperplan.cli import app
from paperplan.service import Service, ServiceError, cron_trigger, next_fire_times, resolve_timezone
from paperplan.settings import ServiceSettings
from paperplan.wiring import Services
from tests.test_progress import seed_plan

BERLIN = ZoneInfo("Europe/Berlin")
REPO = Path(__file__).resolve().parent.parent
runner = CliRunner()


# -- trigger arithmetic with a fixed clock ---------------------------------------------------------

def test_next_fire_times_of_the_nightly_and_weekly_schedules() -> None:
    now = datetime(2026, 11, 25, 12, 0, tzinfo=BERLIN)  # a Wednesday
    nightly = next_fire_times(cron_trigger("30 2 * * *", BERLIN), now, 3)
    assert [t.isoformat() for t in nightly] == [
        "2026-11-26T02:30:00+01:00", "2026-11-27T02:30:00+01:00", "2026-11-28T02:30:00+01:00"]
    weekly = next_fire_times(cron_trigger("0 8 * * mon", BERLIN), now, 2)
    assert [t.isoformat() for t in weekly] == ["2026-11-30T08:00:00+01:00", "2026-12-07T08:00:00+01:00"]


def test_weekday_numbers_follow_crontab_sunday_is_zero_and_seven() -> None:
    now = datetime(2026, 11, 25, 12, 0, tzinfo=BERLIN)
    monday = next_fire_times(cron_trigger("0 8 * * 1", BERLIN), now, 1)[0]
    assert monday.strftime("%A") == "Monday"
    for sunday in ("0", "7", "sun"):
        assert next_fire_times(cron_trigger(f"0 8 * * {sunday}", BERLIN), now, 1)[0].strftime("%A") == "Sunday"
    weekdays = next_fire_times(cron_trigger("0 8 * * 1-5", BERLIN), now, 5)
    assert [t.strftime("%a") for t in weekdays] == ["Thu", "Fri", "Mon", "Tue", "Wed"]


def test_spring_forward_night_runs_once_after_the_gap() -> None:
    # 2026-03-29 in Berlin: 02:00 jumps to 03:00, so 02:30 does not exist that night.
    times = next_fire_times(cron_trigger("30 2 * * *", BERLIN), datetime(2026, 3, 28, 12, 0, tzinfo=BERLIN), 3)
    utc = [t.astimezone(UTC).strftime("%m-%d %H:%M") for t in times]
    assert utc == ["03-29 01:30", "03-30 00:30", "03-31 00:30"]  # 03:30 CEST, then 02:30 CEST
    assert times[0].astimezone(UTC).astimezone(BERLIN).strftime("%H:%M") == "03:30"  # on the wall clock


def test_fall_back_night_runs_once_not_twice() -> None:
    # 2026-10-25 in Berlin: 03:00 goes back to 02:00, so 02:30 happens twice.
    times = next_fire_times(cron_trigger("30 2 * * *", BERLIN), datetime(2026, 10, 24, 12, 0, tzinfo=BERLIN), 3)
    assert [t.astimezone(BERLIN).date().isoformat() for t in times] == ["2026-10-25", "2026-10-26", "2026-10-27"]
    hourly = next_fire_times(cron_trigger("0 * * * *", BERLIN), datetime(2026, 10, 25, 0, 30, tzinfo=BERLIN), 4)
    assert [t.astimezone(BERLIN).strftime("%H:%M") for t in hourly] == ["01:00", "02:00", "03:00", "04:00"]


def test_bad_schedule_and_time_zone_name_the_key() -> None:
    with pytest.raises(ServiceError, match=r"service.nightly_cron: '30 2 \* \*' has 4 fields"):
        cron_trigger("30 2 * *", BERLIN, "service.nightly_cron")
    with pytest.raises(ServiceError, match=r"service\.weekly_cron"):
        cron_trigger("0 25 * * mon", BERLIN, "service.weekly_cron")
    with pytest.raises(ServiceError, match="'Mars/Olympus' is not an IANA time zone"):
        resolve_timezone("Mars/Olympus")


# -- a real scheduler ------------------------------------------------------------------------------

class Recorder:
    """A job runner that records what ran and can be told to fail."""

    def __init__(self, fail: set[str] | None = None) -> None:
        self.calls: list[str] = []
        self.fail = fail or set()
        self.ran = threading.Event()

    def __call__(self, job_id: str, should_stop: object) -> dict:
        self.calls.append(job_id)
        self.ran.set()
        if job_id in self.fail:
            raise RuntimeError(f"{job_id} exploded")
        return {"ok": job_id}


def wait_for(predicate: Callable[[], object], timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def settings(**changes: object) -> ServiceSettings:
    return ServiceSettings(timezone="UTC", **changes)  # type: ignore[arg-type]


def test_a_job_set_a_few_seconds_ahead_runs_and_is_recorded(services: Services) -> None:
    seed_plan(services.db)
    service = Service(services.paths.root, settings(),
                      lambda job_id, stop: jobs.run_job(services, job_id, stop))
    service.start()
    try:
        service.run_soon("weekly", 1.0)
        assert wait_for(lambda: (last_run(services.db, "weekly") or {}).get("finished") is not None)
    finally:
        service.shutdown()
    run = last_run(services.db, "weekly")
    assert run and run["ok"] == 1 and len(run["summary"]["picks"]) == 2
    assert Path(run["summary"]["digest"]).exists()


def test_a_failing_job_is_logged_and_the_service_stays_up(services: Services,
                                                          caplog: pytest.LogCaptureFixture) -> None:
    recorder = Recorder(fail={"nightly"})
    service = Service(services.paths.root, settings(), recorder)
    service.start()
    try:
        service.run_soon("nightly", 0.2)
        assert wait_for(lambda: "nightly" in recorder.calls)
        service.run_soon("weekly", 0.5)
        assert wait_for(lambda: "weekly" in recorder.calls)
        assert service.scheduler is not None and service.scheduler.running
        assert service.next_runs()["nightly"] is not None  # retried at its next slot
    finally:
        service.shutdown()
    assert "nightly: failed: nightly exploded; it runs again at its next slot" in caplog.text


def _store_missed_nightly(root: Path, cron: str, missed_since: datetime) -> None:
    """As if the service last ran days ago: the stored next run lies in the past."""
    setup = Service(root, settings(nightly_cron=cron), Recorder())
    setup.start(paused=True)
    assert setup.scheduler is not None
    setup.scheduler.modify_job("nightly", next_run_time=missed_since)
    setup.shutdown()


@pytest.mark.parametrize(("grace_s", "runs"), [(6 * 3600, 1), (3600, 0)])
def test_missed_runs_are_caught_up_once_within_the_grace(services: Services, grace_s: int, runs: int) -> None:
    now = datetime.now(UTC)
    two_hours_ago = now - timedelta(hours=2)
    cron = f"{two_hours_ago.minute} {two_hours_ago.hour} * * *"  # daily; the last slot was 2 h ago
    _store_missed_nightly(services.paths.root, cron, now - timedelta(days=3, hours=2))  # 3 nights missed
    recorder = Recorder()
    service = Service(services.paths.root, settings(nightly_cron=cron, misfire_grace_s=grace_s), recorder)
    service.start()
    try:
        wait_for(lambda: recorder.calls, timeout=5.0 if runs else 2.0)
        time.sleep(0.5)  # a second catch-up run, if there were one, would have started by now
        next_run = service.next_runs()["nightly"]
    finally:
        service.shutdown()
    assert recorder.calls == ["nightly"] * runs
    assert next_run is not None and next_run > now + timedelta(hours=21)  # tomorrow's slot


def test_stop_lets_the_current_step_finish(services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    steps: list[str] = []
    release = threading.Event()

    def slow_ingest(svc: Services, holder: str) -> dict:
        steps.append("ingest started")
        release.wait(10)
        steps.append("ingest finished")
        return {"new": 0}

    monkeypatch.setattr(jobs, "_ingest", slow_ingest)
    service = Service(services.paths.root, settings(), lambda job_id, stop: jobs.run_job(services, job_id, stop))
    service.start()
    service.run_soon("nightly", 0.1)
    assert wait_for(lambda: steps == ["ingest started"])
    service.request_stop()  # what SIGTERM does
    release.set()
    service.shutdown()  # returns once the running step is done
    assert steps == ["ingest started", "ingest finished"]
    run = last_run(services.db, "nightly")
    assert run and run["ok"] == 1 and run["summary"]["stopped_before"] == "notes"


def test_nightly_makes_notes_edited_outside_searchable(services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jobs, "_ingest", lambda svc, holder: {"new": 0})
    services.paths.create()
    (services.paths.notes / "journal.md").write_text("Late fusion beat early fusion on my audio set.\n",
                                                     encoding="utf-8")
    summary = jobs.nightly(services)
    assert summary["notes"]["indexed"] == 1
    hits = services.kb.dense_search("late fusion audio", k=3)
    assert any(h.chunk.kind == "note" and "Late fusion" in h.chunk.text for h in hits)


def test_a_night_where_every_source_failed_is_recorded_as_failed(services: Services,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from ingest.pipeline import IngestReport
    from paperplan.commands import ingest as ingest_commands

    offline = IngestReport(failed=[("arXiv new listings", "cannot reach export.arxiv.org")])
    monkeypatch.setattr(ingest_commands, "run_ingest", lambda svc, **kw: offline)
    with pytest.raises(jobs.JobFailed, match=r"every source failed.*cannot reach export\.arxiv\.org"):
        jobs.nightly(services)
    run = last_run(services.db, "nightly")
    assert run and run["ok"] == 0 and run["summary"]["cards"] == {"papers": 0, "stored": 0}


# -- the shared ingest lock ------------------------------------------------------------------------

def test_nightly_reports_who_holds_the_lock_and_still_does_its_other_steps(services: Services) -> None:
    with IngestLock(services.paths.root, "paperplan ingest") as lock:
        lock.update("fetching new arXiv listings")
        with pytest.raises(jobs.JobFailed, match=r"paperplan ingest: fetching new arXiv listings") as failure:
            jobs.nightly(services)
    assert "wait for it to finish" in failure.value.hint
    run = last_run(services.db, "nightly")
    assert run and run["ok"] == 0 and "another ingest holds" in run["summary"]["error"]
    assert run["summary"]["cards"] == {"papers": 0, "stored": 0}  # the step after the failed one ran


def test_manual_ingest_while_the_nightly_holds_the_lock_says_so(services: Services) -> None:
    services.paths.create()
    with IngestLock(services.paths.root, jobs.HOLDER) as lock:
        lock.update("fetching full text of 3 papers")
        result = runner.invoke(app, ["ingest", "--new"])
    assert result.exit_code == 1
    assert "paperplan serve (nightly job): fetching full text of 3 papers" in result.output
    assert "hint: wait for it to finish" in result.output


# -- the commands ----------------------------------------------------------------------------------

def test_jobs_json_shows_next_run_and_last_result(services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    from paperplan import cli

    monkeypatch.setattr(cli, "services", lambda: services)
    seed_plan(services.db)
    result = runner.invoke(app, ["jobs", "run", "weekly", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["summary"]["week"]
    report = json.loads(runner.invoke(app, ["jobs", "--json"]).stdout)
    assert [j["id"] for j in report["jobs"]] == ["nightly", "weekly"]
    for job in report["jobs"]:
        assert set(job) >= {"id", "next_run", "last_run"}
        assert datetime.fromisoformat(job["next_run"]) > datetime.now(UTC)
    nightly, weekly = report["jobs"]
    assert nightly["last_run"] is None
    assert set(weekly["last_run"]) == {"started", "finished", "ok", "summary"}
    assert weekly["last_run"]["ok"] is True and len(weekly["last_run"]["summary"]["picks"]) == 2
    assert (services.paths.logs / "paperplan.log").exists()


def test_jobs_run_unknown_job_is_an_error(services: Services) -> None:
    result = runner.invoke(app, ["jobs", "run", "hourly"])
    assert result.exit_code == 1
    assert "no job 'hourly'" in result.output and "hint: the jobs are: nightly, weekly" in result.output


def test_serve_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    env = {**os.environ, "PAPERPLAN_HOME": str(tmp_path / "serve-data"), "PAPERPLAN_SERVICE__TIMEZONE": "UTC"}
    proc = subprocess.Popen([sys.executable, "-m", "paperplan.cli", "serve"], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        started = time.monotonic()
        line = ""
        while time.monotonic() - started < 60 and "service running" not in line:
            line = proc.stderr.readline()
            if not line and proc.poll() is not None:
                break
        assert "paperplan service running" in line, proc.stderr.read()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    log = (tmp_path / "serve-data" / "logs" / "paperplan.log").read_text(encoding="utf-8")
    assert "received SIGTERM" in log and "service stopped" in log
    assert (tmp_path / "serve-data" / "scheduler.db").exists()  # the persistent job store


def test_a_bad_schedule_in_the_config_is_named(services: Services, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAPERPLAN_SERVICE__NIGHTLY_CRON", "every night")
    result = runner.invoke(app, ["jobs"])
    assert result.exit_code == 1
    assert "service.nightly_cron: 'every night' has 2 fields" in result.output and "hint: fix the [service]" in result.output
