"""The scheduler service: the only module that imports apscheduler (3.x; 4.x is still alpha).

`Service` runs a BackgroundScheduler whose jobs live in a persistent SQLAlchemy job store
(`scheduler.db` in the data dir), so the next run time survives a restart:

- a run missed while the machine slept or the service was down is caught up once (on
  start, or within a minute of waking), not once per missed night (coalesce), if it was
  missed by less than `service.misfire_grace_s`; otherwise it is skipped and the next
  slot is kept;
- one job at a time (a single worker thread, max one instance per job);
- a failing job is logged with its reason and recorded in the KB's `runs` table by the job
  itself; the scheduler just carries on to the job's next slot;
- `request_stop()` (SIGTERM/SIGINT in `paperplan serve`) lets the running job finish its
  current step, then the scheduler shuts down.

Cron expressions follow crontab: weekday 0 and 7 are Sunday (APScheduler 3 alone would take
0 as Monday). On the night clocks go back a time like 02:30 happens twice; the trigger
fires once. On the night clocks go forward a 02:30 that does not exist fires at 03:30.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.events import EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_STOPPED
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger

from kb.errors import PaperplanError

log = logging.getLogger("paperplan.service")

JOBSTORE_FILE = "scheduler.db"
MAX_SLEEP_S = 60.0  # the scheduler looks at the clock at least this often (see _Scheduler)
# APScheduler stores a textual reference to this function with the job's id as argument:
# the function must stay importable under this name for stored jobs to keep working.
JOB_FUNC = "paperplan.service:run_scheduled"
_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WEEKDAY_NUMBER = re.compile(r"(?<![/\d])([0-7])(?!\d)")

Runner = Callable[[str, Callable[[], bool]], Any]


class ServiceError(PaperplanError):
    hint = "fix the [service] section of your config (cron: minute hour day month weekday; an IANA time zone)"


class _Scheduler(BackgroundScheduler):
    """Two fixes to APScheduler 3's loop.

    - It sleeps until the next run on the monotonic clock, which stands still while the
      machine is suspended: a laptop asleep at 02:30 would wake and wait hours more, past
      the misfire grace. Waking at least every minute catches the missed run up instead.
    - It makes one more pass over the job store after `shutdown()` has stopped the
      executor: a run due at that moment fails to submit but is still marked done, so it is
      neither run nor caught up on the next start. No pass once stopped.
    """

    def _process_jobs(self) -> float | None:
        if self.state == STATE_STOPPED:
            return None
        wait: float | None = super()._process_jobs()
        return MAX_SLEEP_S if wait is None else min(wait, MAX_SLEEP_S)


class WallClockCronTrigger(CronTrigger):
    """A CronTrigger that fires once per wall-clock time across a DST fall-back.

    APScheduler 3 fires a daily 02:30 job at both 02:30s of the night clocks go back; the
    nightly ingest would run twice. The repeat has the same local wall time as the fire
    before it, so it is skipped.
    """

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime | None:
        fire: datetime | None = super().get_next_fire_time(previous_fire_time, now)
        while fire is not None and previous_fire_time is not None and _wall(fire) == _wall(previous_fire_time, fire):
            fire = super().get_next_fire_time(fire, fire)
        return fire


def _wall(moment: datetime, like: datetime | None = None) -> datetime:
    local = moment.astimezone(like.tzinfo) if like is not None and like.tzinfo else moment
    return local.replace(tzinfo=None, fold=0)


def resolve_timezone(name: str) -> tzinfo:
    """The configured IANA zone, or the machine's own when empty."""
    if not name:
        from tzlocal import get_localzone

        return get_localzone()
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ServiceError(f"service.timezone: {name!r} is not an IANA time zone (e.g. Europe/Berlin)") from None


def cron_trigger(expr: str, timezone: tzinfo, key: str = "cron") -> WallClockCronTrigger:
    """A trigger from a standard 5-field crontab line (weekday 0/7 = Sunday, names allowed)."""
    fields = expr.split()
    if len(fields) != 5:
        raise ServiceError(f"{key}: {expr!r} has {len(fields)} fields; expected 5 (minute hour day month weekday)")
    minute, hour, day, month, weekday = fields
    weekday = _WEEKDAY_NUMBER.sub(lambda m: _WEEKDAYS[int(m.group(1))], weekday.lower())
    try:
        return WallClockCronTrigger(minute=minute, hour=hour, day=day, month=month, day_of_week=weekday,
                                    timezone=timezone)
    except ValueError as exc:
        raise ServiceError(f"{key}: {expr!r}: {exc}") from None


def next_fire_times(trigger: CronTrigger, after: datetime, count: int) -> list[datetime]:
    """The next `count` fire times strictly after `after` (a fixed clock for tests and `jobs`)."""
    times: list[datetime] = []
    previous: datetime | None = None
    now = after + timedelta(microseconds=1)
    while len(times) < count:
        fire = trigger.get_next_fire_time(previous, now)
        if fire is None:
            break
        times.append(fire)
        previous, now = fire, fire
    return times


def schedules(service_settings: Any) -> dict[str, str]:
    """Job id → cron expression, from the [service] settings."""
    return {"nightly": service_settings.nightly_cron, "weekly": service_settings.weekly_cron}


def triggers(service_settings: Any) -> dict[str, WallClockCronTrigger]:
    tz = resolve_timezone(service_settings.timezone)
    return {job_id: cron_trigger(expr, tz, f"service.{job_id}_cron")
            for job_id, expr in schedules(service_settings).items()}


def stored_next_runs(data_dir: Path) -> dict[str, datetime | None]:
    """Next run times as the service's job store holds them (empty if it never ran)."""
    path = data_dir / JOBSTORE_FILE
    if not path.exists():
        return {}
    store = SQLAlchemyJobStore(url=f"sqlite:///{path}")
    store.start(BackgroundScheduler(), "default")
    try:
        return {job.id: job.next_run_time for job in store.get_all_jobs()}
    finally:
        store.shutdown()


# The running service, for `run_scheduled` (APScheduler calls a function by reference).
_active: Service | None = None


def run_scheduled(job_id: str) -> None:
    """Entry point of every scheduled run: never raises, so the scheduler stays up."""
    service = _active
    if service is None:
        log.error("job %s fired with no service running", job_id)
        return
    service.run(job_id)


class Service:
    def __init__(self, data_dir: Path, service_settings: Any, runner: Runner) -> None:
        self.data_dir = data_dir
        self.settings = service_settings
        self.runner = runner
        self.timezone = resolve_timezone(service_settings.timezone)
        self.triggers = triggers(service_settings)
        self._stop = threading.Event()
        self._idle = threading.Event()
        self._idle.set()
        self.scheduler: BackgroundScheduler | None = None
        self.current: str | None = None

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self, paused: bool = False) -> None:
        global _active
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.scheduler = _Scheduler(
            jobstores={"default": SQLAlchemyJobStore(url=f"sqlite:///{self.data_dir / JOBSTORE_FILE}")},
            executors={"default": ThreadPoolExecutor(1)},
            job_defaults={"coalesce": True, "max_instances": 1,
                          "misfire_grace_time": max(1, int(self.settings.misfire_grace_s))},
            timezone=self.timezone,
        )
        self.scheduler.add_listener(self._on_missed, EVENT_JOB_MISSED)
        _active = self
        # Paused while the jobs are brought in line with the config, so a due run is not
        # started against a half-updated schedule.
        self.scheduler.start(paused=True)
        self._sync_jobs()
        if not paused:
            self.scheduler.resume()
        for job in self.scheduler.get_jobs():
            log.info("job %s: %s, next run %s", job.id, schedules(self.settings).get(job.id, job.trigger),
                     job.next_run_time)

    def _sync_jobs(self) -> None:
        assert self.scheduler is not None
        grace = max(1, int(self.settings.misfire_grace_s))
        for job in self.scheduler.get_jobs():
            if job.id not in self.triggers:
                log.info("removing job %s: no longer in the config", job.id)
                job.remove()
        for job_id, trigger in self.triggers.items():
            existing = self.scheduler.get_job(job_id)
            if existing is not None and repr(existing.trigger) == repr(trigger) and existing.func_ref == JOB_FUNC:
                # Same schedule: keep the stored next run time, which is what lets a run
                # missed while the service was down be caught up now.
                existing.modify(misfire_grace_time=grace, coalesce=True, max_instances=1)
                continue
            self.scheduler.add_job(JOB_FUNC, trigger, args=[job_id], id=job_id, name=job_id,
                                   replace_existing=True, misfire_grace_time=grace, coalesce=True, max_instances=1)

    def run_soon(self, job_id: str, delay_s: float) -> None:
        """One extra run of a job `delay_s` seconds from now (its regular schedule stays)."""
        assert self.scheduler is not None
        when = datetime.now(self.timezone) + timedelta(seconds=delay_s)
        self.scheduler.add_job(JOB_FUNC, DateTrigger(run_date=when, timezone=self.timezone), args=[job_id],
                               id=f"{job_id}-once", name=f"{job_id} (once)", replace_existing=True)

    def request_stop(self) -> None:
        """Ask the running job to stop after its current step; `wait()` then returns."""
        if not self._stop.is_set():
            log.info("stopping%s", f": letting {self.current} finish its current step" if self.current else "")
        self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until a stop is requested (True) or the timeout passes (False)."""
        return self._stop.wait(timeout)

    def shutdown(self) -> None:
        """Stop taking new runs, wait for the one in progress, release the job store."""
        global _active
        self._stop.set()
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        if _active is self:
            _active = None
        log.info("service stopped")

    # -- runs -------------------------------------------------------------------------------------

    def run(self, job_id: str) -> bool:
        """Run one job now in this thread. Failures are logged, never raised."""
        if self._stop.is_set():
            log.info("not starting %s: the service is stopping", job_id)
            return False
        self._idle.clear()
        self.current = job_id
        started = datetime.now(self.timezone)
        log.info("%s: started", job_id)
        try:
            summary = self.runner(job_id, self._stop.is_set)
            log.info("%s: finished in %.0f s: %s", job_id, (datetime.now(self.timezone) - started).total_seconds(),
                     _short(summary))
            return True
        except Exception as exc:
            hint = getattr(exc, "hint", "")
            log.error("%s: failed: %s%s; it runs again at its next slot", job_id, exc, f" ({hint})" if hint else "")
            log.debug("%s: traceback", job_id, exc_info=True)
            return False
        finally:
            self.current = None
            self._idle.set()

    def _on_missed(self, event: JobExecutionEvent) -> None:
        log.warning("%s: the run due at %s was missed by more than service.misfire_grace_s (%s s); "
                    "the next slot is kept", event.job_id, event.scheduled_run_time, self.settings.misfire_grace_s)

    def next_runs(self) -> dict[str, datetime | None]:
        assert self.scheduler is not None
        return {job.id: job.next_run_time for job in self.scheduler.get_jobs()}


def _short(summary: Any) -> str:
    text = str(summary)
    return text if len(text) <= 300 else text[:300] + "…"
