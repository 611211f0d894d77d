"""The TUI's data access, a manual ingest and the service (its nightly and weekly jobs) on one
data dir at once: the second ingest is refused with a message naming who holds the lock, the
other writes go on, and afterwards nothing is corrupt and nothing needs repair."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from kb import cards, papers
from kb.cards import Card
from kb.fakes import HashEmbedder
from kb.locks import IngestLock, LockHeld, read_holder
from kb.types import Paper, TopicAssignment
from paperplan.paths import DataPaths
from paperplan.settings import Settings
from paperplan.wiring import build_services
from tests.reliability.helpers import full_only, text_pdf

REPO = Path(__file__).resolve().parents[2]


def _env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERPLAN_") or k == "PAPERPLAN_CACHE"}
    env.update({"PAPERPLAN_HOME": str(tmp / "data"), "PAPERPLAN_CONFIG": str(tmp / "config.toml"),
                "PAPERPLAN_INGEST__ARXIV_API_URL": "http://127.0.0.1:9/api/query", "PAPERPLAN_INGEST__FEEDS": "[]",
                "PYTHONPATH": str(REPO)})
    return env


def _child(role: str, tmp: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "tests.reliability.concurrent", role, str(tmp)], cwd=REPO,
                            env=_env(tmp), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@full_only
def test_tui_manual_ingest_and_service_on_one_data_dir(tmp_path: Path) -> None:
    from paperplan.commands.setup import run_init

    (tmp_path / "config.toml").write_text("", encoding="utf-8")
    (tmp_path / "in").mkdir()
    for i in range(20):
        text_pdf(tmp_path / "in" / f"paper-{i:02d}.pdf", paragraphs=12, seed=i)
    svc = build_services(Settings(), DataPaths(tmp_path / "data"), embedder=HashEmbedder())
    run_init(svc)
    papers.upsert_paper(svc.db, Paper(id="2501.00001", title="Seeded", source="arxiv"))
    papers.set_topic_assignments(svc.db, "2501.00001", [TopicAssignment("2501.00001", 1, 0.9, "embedding")])
    cards.add_cards(svc.db, [Card(type="mcq", question=f"Q{i}?", answer="a", options=["a", "b", "c", "d"],
                                  paper_id="2501.00001", topic=1) for i in range(40)])
    svc.db.close()

    tui = _child("tui", tmp_path)
    service = _child("service", tmp_path)
    ingest = _child("add", tmp_path)
    try:
        # Wait until the manual ingest holds the lock, then start the service's run.
        deadline = time.monotonic() + 120
        holder = None
        while time.monotonic() < deadline and ingest.poll() is None:
            holder = read_holder(tmp_path / "data")
            if holder and holder.get("doing") not in (None, "finished"):
                break
            time.sleep(0.05)
        assert holder and holder["pid"] == ingest.pid, f"the manual ingest never held the lock: {holder}"
        try:
            with IngestLock(tmp_path / "data", "paperplan serve (nightly)"):
                refused = None
        except LockHeld as exc:
            refused = str(exc)
        assert refused is not None, "a second ingest must be refused while the first runs"
        assert f"pid {ingest.pid}" in refused and "paperplan add" in refused, refused
        # And the command line says the same to a learner who types `paperplan add` now.
        cli = subprocess.run([str(Path(sys.executable).parent / "paperplan"), "add", str(tmp_path / "in")],
                             env=_env(tmp_path), capture_output=True, text=True, timeout=120)
        if ingest.poll() is None:  # still running when the CLI tried
            assert cli.returncode == 1, cli.stderr
            assert "another ingest holds" in cli.stderr and f"pid {ingest.pid}" in cli.stderr, cli.stderr
        out, err = ingest.communicate(timeout=600)
        assert ingest.returncode == 0, err[-3000:]
        added = json.loads(out.strip().splitlines()[-1])
        service_out, service_err = service.communicate(timeout=600)
        assert service.returncode == 0, service_err[-3000:]
        jobs = json.loads(service_out.strip().splitlines()[-1])
        # The service's nightly ingest was refused, naming who holds the lock; its other
        # step and the weekly job still ran.
        assert f"pid {ingest.pid}" in jobs.get("nightly_error", "") and "paperplan add" in jobs["nightly_error"], jobs
        assert jobs["weekly"], jobs
    finally:
        (tmp_path / "stop").write_text("", encoding="utf-8")
        tui_out, tui_err = tui.communicate(timeout=180)
    assert tui.returncode == 0, tui_err[-3000:]
    activity = json.loads(tui_out.strip().splitlines()[-1])
    assert added["added"] == 20 and not added["failed"], added
    assert activity["saves"] > 0 and activity["reviews"] > 0, activity

    # Nothing corrupt, nothing to repair, every write there.
    after = build_services(Settings(), DataPaths(tmp_path / "data"), embedder=HashEmbedder())
    assert after.db.integrity_ok()
    repaired = after.kb.reconcile()
    assert (repaired.embedded, repaired.removed) == (0, 0), f"two writers left the index out of step: {repaired}"
    assert {r[0] for r in after.db.query("SELECT id FROM chunks")} == after.kb.vectors.all_ids()
    assert after.db.scalar("SELECT COUNT(*) FROM reviews") == activity["reviews"]
    assert after.db.scalar("SELECT COUNT(*) FROM papers WHERE source = 'local'") == 20
    assert list(after.paths.digests.glob("*.md")), "the weekly digest was written meanwhile"
    assert f"Journal entry {activity['saves']}:" in after.notes.read("journal").body
