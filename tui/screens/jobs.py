"""Jobs: the scheduled jobs and their last results, "run now", and an ingest with live progress."""

from __future__ import annotations

import re
from typing import Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Footer, Input, Label, ProgressBar, Static

from tui import queries
from tui.screens.base import PaperplanScreen, notify_error
from tui.services import JobInfo
from tui.widgets.area_bar import AreaBar

ARXIV_ID = re.compile(r"^(\d{4}\.\d{4,5}|[a-z-]+(\.[A-Z]{2})?/\d{7})(v\d+)?$")


def split_ingest_request(text: str) -> tuple[list[str], str]:
    """'2301.12345 2302.00001' → ids; anything else is a search query."""
    tokens = text.replace(",", " ").split()
    if tokens and all(ARXIV_ID.match(t) for t in tokens):
        return tokens, ""
    return [], text.strip()


def _ok(ok: bool | None) -> Text:
    return Text("ok", style="green") if ok else Text("running", style="yellow") if ok is None \
        else Text("failed", style="bold red")


class JobsScreen(PaperplanScreen):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "run_now", "Run now"),
        Binding("i", "ingest", "Ingest papers"),
        Binding("r", "refresh", "Refresh"),
    ]

    def compose(self) -> ComposeResult:
        yield AreaBar("jobs")
        with Vertical(id="jobs"):
            yield Label("Scheduled jobs  (n runs the selected one now)", id="jobs-heading", classes="heading")
            yield DataTable(id="jobs-table", cursor_type="row")
            yield Label("Recent runs", classes="heading")
            yield DataTable(id="runs-table", cursor_type="row")
            with Horizontal(id="ingest-bar"):
                yield Input(placeholder="arXiv ids or a search query, then Enter", id="ingest-request")
                yield ProgressBar(id="progress", show_eta=False)
            yield Static("", id="progress-text")
        yield Footer()

    def on_mount(self) -> None:
        jobs = self.query_one("#jobs-table", DataTable)
        jobs.add_columns("job", "schedule", "next run", "last run", "result", "summary")
        runs = self.query_one("#runs-table", DataTable)
        runs.add_columns("kind", "started", "finished", "result", "summary")
        self.query_one("#ingest-bar").display = False
        if self.services.jobs is None:
            self.query_one("#jobs-heading", Label).update(
                "Scheduled jobs are not available yet (the service is not wired in); recent runs below")

    def on_screen_resume(self) -> None:
        self.action_refresh()

    def action_refresh(self) -> None:
        if self.services.jobs is not None:
            self._load_jobs()
        runs = self.query_one("#runs-table", DataTable)
        runs.clear()
        for r in self.guard("reading recent runs", lambda: queries.recent_runs(self.services.db)) or []:
            runs.add_row(r.kind, r.started[:19].replace("T", " "), r.finished[:19].replace("T", " "),
                         _ok(r.ok), r.summary[:70])

    @work(thread=True, exclusive=True, exit_on_error=False, group="jobs-list")
    def _load_jobs(self) -> None:
        """The service's job store loads slowly: read it off the UI thread."""
        port = self.services.jobs
        assert port is not None
        try:
            listed = port.list()
        except Exception as exc:
            notify_error(self.app, exc, "listing the scheduled jobs")
            return
        self.app.call_from_thread(self._show_jobs, listed)

    def _show_jobs(self, listed: list[JobInfo]) -> None:
        jobs = self.query_one("#jobs-table", DataTable)
        jobs.clear()
        for j in listed:
            jobs.add_row(j.name, j.schedule, j.next_run, j.last_started[:16].replace("T", " "),
                         _ok(j.last_ok) if j.last_started else "", j.last_summary[:60], key=j.id)

    # -- progress, shared by run-now and ingest ------------------------------------------

    def _progress(self, done: int, total: int, what: str) -> None:
        bar = self.query_one("#progress", ProgressBar)
        self.query_one("#ingest-bar").display = True
        bar.update(total=total or None, progress=done)
        self.query_one("#progress-text", Static).update(what)

    def _report(self, done: int, total: int, what: str) -> None:
        """The progress callback handed to workers: hops onto the UI thread."""
        self.app.call_from_thread(self._progress, done, total, what)

    def _finished(self, what: str, summary: dict[str, Any]) -> None:
        text = queries.summarise(_json(summary))
        self.query_one("#progress-text", Static).update(f"{what} finished: {text}")
        self.notify(f"{what} finished")
        self.action_refresh()

    # -- run now -------------------------------------------------------------------------

    def action_run_now(self) -> None:
        port = self.services.jobs
        table = self.query_one("#jobs-table", DataTable)
        if port is None:
            self.notify("running jobs is not available yet", severity="warning")
            return
        if not table.row_count:
            return
        job_id = str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)
        self._progress(0, 0, f"running {job_id}…")
        self._run_job(job_id)

    @work(thread=True, exclusive=True, exit_on_error=False, group="jobs")
    def _run_job(self, job_id: str) -> None:
        port = self.services.jobs
        assert port is not None
        try:
            summary = port.run(job_id, self._report)
        except Exception as exc:
            self.app.call_from_thread(self.action_refresh)
            notify_error(self.app, exc, f"running {job_id}")
            return
        self.app.call_from_thread(self._finished, job_id, summary)

    # -- ingest --------------------------------------------------------------------------

    def action_ingest(self) -> None:
        if self.services.ingest is None:
            self.notify("ingesting from here is not available yet", severity="warning")
            return
        self.query_one("#ingest-bar").display = True
        self.query_one("#ingest-request", Input).focus()

    @on(Input.Submitted, "#ingest-request")
    def _ingest_submitted(self, event: Input.Submitted) -> None:
        ids, query = split_ingest_request(event.value)
        if not ids and not query:
            return
        event.input.value = ""
        self._progress(0, 0, "starting the ingest…")
        self._ingest(ids, query)

    @work(thread=True, exclusive=True, exit_on_error=False, group="jobs")
    def _ingest(self, ids: list[str], query: str) -> None:
        ingest = self.services.ingest
        assert ingest is not None
        try:
            summary = ingest(ids, query, self._report)
        except Exception as exc:
            self.app.call_from_thread(self.action_refresh)
            notify_error(self.app, exc, "ingesting " + (", ".join(ids) or repr(query)))
            return
        self.app.call_from_thread(self._finished, "ingest", summary)


def _json(data: dict[str, Any]) -> str:
    import json

    return json.dumps(data, ensure_ascii=False, default=str)
