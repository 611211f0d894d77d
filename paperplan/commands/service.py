"""serve, jobs and jobs run: the unattended service and its jobs.

Module imports stay light: apscheduler and the jobs' engines load when a command runs.
"""

from __future__ import annotations

import logging
import signal
import sys
from datetime import UTC, datetime
from logging.handlers import RotatingFileHandler
from typing import Any

import typer

jobs_app = typer.Typer(help="The service's jobs: next run, last result; `jobs run ID` runs one now.",
                       invoke_without_command=True)

LOG_FILE = "paperplan.log"
_LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def log_to_data_dir(svc: Any, console: bool = True) -> RotatingFileHandler:
    """Log to <data dir>/logs/paperplan.log with rotation, and to stderr unless `console` is off.
    Returns the file handler (a caller that outlives the command removes it)."""
    svc.paths.logs.mkdir(parents=True, exist_ok=True)
    handler = RotatingFileHandler(svc.paths.logs / LOG_FILE, maxBytes=svc.settings.service.log_max_kb * 1024,
                                  backupCount=svc.settings.service.log_backups, encoding="utf-8")
    handler.setFormatter(logging.Formatter(_LOG_FORMAT))
    root = logging.getLogger()
    root.addHandler(handler)
    for h in list(root.handlers):
        if type(h) is logging.StreamHandler:
            if console:
                h.setFormatter(logging.Formatter(_LOG_FORMAT))
            else:
                root.removeHandler(h)
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # our own lines say what ran
    return handler


def default_runner(job_id: str, should_stop: Any) -> dict[str, Any]:
    """A scheduled run: fresh services (settings re-read, no model kept in memory between runs)."""
    from paperplan.jobs import run_job
    from paperplan.wiring import build_services

    svc = build_services()
    try:
        return run_job(svc, job_id, should_stop)
    finally:
        if "db" in svc.__dict__:
            svc.db.close()


def serve(quiet: bool = typer.Option(False, "--quiet", help="Log to the file in the data dir only.")) -> None:
    """Run the scheduler in the foreground: nightly ingestion and the weekly digest.

    SIGTERM or Ctrl-C lets a running job finish its current step, then exits.
    """
    from paperplan import cli
    from paperplan.service import Service, schedules

    svc = cli.services()
    svc.paths.create()
    log_path = log_to_data_dir(svc, console=not quiet).baseFilename
    service = Service(svc.paths.root, svc.settings.service, default_runner)

    def on_signal(signum: int, _frame: Any) -> None:
        logging.getLogger("paperplan.service").info("received %s", signal.Signals(signum).name)
        service.request_stop()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    service.start()
    jobs = ", ".join(f"{k} ({v})" for k, v in schedules(svc.settings.service).items())
    print(f"paperplan service running: {jobs}; log {log_path}; stop with Ctrl-C or SIGTERM",
          file=sys.stderr, flush=True)
    while not service.wait(1.0):
        pass
    service.shutdown()


def collect_jobs(svc: Any, now: datetime | None = None) -> dict[str, Any]:
    """Each job's schedule, next run (as the service's store holds it, else from the schedule)
    and last result from the KB's runs table."""
    from kb.runs import last_run
    from paperplan.service import next_fire_times, resolve_timezone, schedules, stored_next_runs, triggers

    now = now or datetime.now(UTC)
    stored = stored_next_runs(svc.paths.root)
    by_id = triggers(svc.settings.service)
    jobs = []
    for job_id, expr in schedules(svc.settings.service).items():
        planned = next_fire_times(by_id[job_id], now, 1)
        next_run = stored.get(job_id) or (planned[0] if planned else None)
        last = last_run(svc.db, job_id)
        jobs.append({
            "id": job_id, "schedule": expr,
            "next_run": next_run.isoformat() if next_run else None,
            "last_run": None if last is None else {
                "started": last["started"], "finished": last["finished"],
                "ok": None if last["ok"] is None else bool(last["ok"]), "summary": last["summary"]},
        })
    return {"jobs": jobs, "timezone": str(resolve_timezone(svc.settings.service.timezone)),
            "service_store": stored != {}}


@jobs_app.callback()
def jobs(ctx: typer.Context,
         json_output: bool = typer.Option(False, "--json", help="Print one JSON document on stdout.")) -> None:
    """Each job's next run time and last result."""
    if ctx.invoked_subcommand is not None:
        return
    from paperplan import cli

    report = collect_jobs(cli.services())
    if json_output:
        cli.emit_json(report)
        return
    now = datetime.now(UTC)
    for job in report["jobs"]:
        missed = job["next_run"] and datetime.fromisoformat(job["next_run"]) < now
        typer.echo(f"{job['id']:<8} {job['schedule']:<14} next {job['next_run'] or '—'}"
                   + (" (missed: runs once when the service starts, if within service.misfire_grace_s)"
                      if missed else ""))
        last = job["last_run"]
        if last is None:
            typer.echo("         never run")
            continue
        outcome = "ok" if last["ok"] else ("running or interrupted" if last["ok"] is None else "FAILED")
        typer.echo(f"         last {last['started']} → {last['finished'] or '…'}: {outcome}")
        if last["summary"].get("error"):
            typer.echo(f"         {last['summary']['error']}")
    if not report["service_store"]:
        typer.echo(f"(times in {report['timezone']}; the service has not run here yet: `paperplan serve`)")


@jobs_app.command("run")
def jobs_run(job_id: str = typer.Argument(..., help="nightly or weekly."),
             json_output: bool = typer.Option(False, "--json", help="Print one JSON document on stdout.")) -> None:
    """Run one job now, in the foreground (also what a crontab line calls)."""
    from paperplan import cli
    from paperplan.jobs import run_job

    svc = cli.services()
    handler = log_to_data_dir(svc, console=True)
    try:
        summary = run_job(svc, job_id, holder=f"paperplan jobs run {job_id}")
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()
    if json_output:
        cli.emit_json({"id": job_id, "ok": True, "summary": summary})
        return
    typer.echo(f"{job_id}: ok")
    for key, value in summary.items():
        typer.echo(f"  {key}: {value}")
