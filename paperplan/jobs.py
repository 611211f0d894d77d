"""The unattended jobs, composed from the other layers: what `serve` schedules, what
`paperplan jobs run ID` and a crontab line run once.

nightly: ingest under the shared lock (new arXiv listings and lab feeds → topic mapping →
         full text for the papers worth it; `run_ingest`, the same composition as
         `paperplan ingest`), then quiz cards for papers newly marked read.
weekly:  the week's recommendations and the Markdown digest.

Each run is recorded in the KB's `runs` table (kind = the job id) with its counts. A step
that fails does not stop the steps after it; the run is then recorded as failed with every
reason, and the scheduler tries again at the next slot. Between steps the job checks
`should_stop` so SIGTERM ends it after the step in progress.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kb.errors import PaperplanError
from kb.runs import record_run

if TYPE_CHECKING:
    from paperplan.wiring import Services

log = logging.getLogger("paperplan.jobs")

StopCheck = Callable[[], bool]
JOB_IDS = ("nightly", "weekly")
HOLDER = "paperplan serve (nightly job)"


class JobError(PaperplanError):
    hint = "the jobs are: nightly, weekly (`paperplan jobs` lists them with their last run)"


class JobFailed(PaperplanError):
    """A job finished its steps but one or more failed; the message lists each reason."""


def _never() -> bool:
    return False


def run_job(svc: Services, job_id: str, should_stop: StopCheck = _never, holder: str = HOLDER) -> dict[str, Any]:
    if job_id == "nightly":
        return nightly(svc, should_stop, holder)
    if job_id == "weekly":
        return weekly(svc, should_stop)
    raise JobError(f"no job {job_id!r}")


def nightly(svc: Services, should_stop: StopCheck = _never, holder: str = HOLDER) -> dict[str, Any]:
    with record_run(svc.db, "nightly") as summary:
        failures: list[PaperplanError | Exception] = []
        steps: list[tuple[str, Callable[[], dict[str, Any]]]] = [
            ("ingest", lambda: _ingest(svc, holder)),
            ("notes", lambda: _sync_notes(svc)),
            ("cards", lambda: _cards_for_read_papers(svc)),
        ]
        for name, step in steps:
            if should_stop():
                summary["stopped_before"] = name
                log.info("nightly: stopping before %s (asked to stop)", name)
                break
            log.info("nightly: %s", name)
            try:
                summary[name] = step()
            except Exception as exc:  # one failing step must not cost the others
                log.error("nightly: %s failed: %s", name, exc)
                summary[name] = {"error": f"{type(exc).__name__}: {exc}"}
                failures.append(exc)
        if failures:
            hint = next((f.hint for f in failures if isinstance(f, PaperplanError) and f.hint), "")
            raise JobFailed("nightly: " + "; ".join(f"{type(f).__name__}: {f}" for f in failures),
                            hint=hint or "see the log in the data dir's logs/ folder; the job runs again at its next slot")
    return summary


def _ingest(svc: Services, holder: str) -> dict[str, Any]:
    from paperplan.commands.ingest import run_ingest

    report = run_ingest(svc, new=True, feeds=bool(svc.settings.ingest.feeds), holder=holder)
    if report.nothing_succeeded:  # e.g. offline: a failed night, retried at the next slot
        reasons = "; ".join(f"{what}: {reason}" for what, reason in report.failed[:3])
        raise JobFailed(f"ingest: every source failed ({len(report.failed)}): {reasons}",
                        hint="check the network and ingest.arxiv_api_url; the job runs again at its next slot")
    return report.to_json()


def _sync_notes(svc: Services) -> dict[str, Any]:
    """Notes saved in the TUI (index=False) or edited outside the app become searchable."""
    report = svc.notes.sync()
    return {"indexed": len(report.indexed), "removed": len(report.removed),
            "conflicts": report.conflicts, "errors": report.errors}


def papers_needing_cards(svc: Services, limit: int) -> list[str]:
    """Papers marked read that have no card yet, the most recently read first."""
    rows = svc.db.query(
        "SELECT r.paper_id FROM reading r WHERE r.status = 'read'"
        " AND NOT EXISTS (SELECT 1 FROM cards c WHERE c.paper_id = r.paper_id)"
        " ORDER BY r.status_at DESC, r.paper_id LIMIT ?", (limit,))
    return [r[0] for r in rows]


def _cards_for_read_papers(svc: Services) -> dict[str, Any]:
    paper_ids = papers_needing_cards(svc, svc.settings.service.cards_max_papers)
    if not paper_ids:
        return {"papers": 0, "stored": 0}
    report = svc.quiz.generate_for_papers(paper_ids)  # loads the LLM only when there is work
    return {"papers": len(paper_ids), **report.to_dict()}


def weekly(svc: Services, should_stop: StopCheck = _never) -> dict[str, Any]:
    from paperplan.commands.recommend import write_digest

    with record_run(svc.db, "weekly") as summary:
        week, picks = svc.recommender.recommend()
        summary.update(week=week, picks=[p.paper_id for p in picks])
        if should_stop():
            summary["stopped_before"] = "digest"
            return summary
        summary["digest"] = str(write_digest(svc, week))
    return summary
