"""Crash safety: kill the real code paths with SIGKILL at many points, then check the next start.

Three workloads run in a subprocess on one data dir each, through the app's own code:
- ingest: `paperplan add` of generated PDFs (`paperplan.commands.ingest.run_add`: the lock,
  the copy into pdfs/, parsing in the worker process, SQLite, the vector store, topic mapping);
- quiz: a review session (`Services.quiz`: session → grade → record the review);
- notes: note saves (`Services.notes.save`, atomic file write + re-embedding).

The test-only hook: the worker swaps the embedder for the hash embedder (`kb.fakes`) and the
LLM for a scripted fake before any work, so no model loads; everything else is the app's code.

Each worker first does what the app does on its next start (`paperplan init`: integrity, then
`KnowledgeBase.reconcile()` and seeding; plus a notes sync) and checks the KB it finds:
SQLite `PRAGMA integrity_check`, every chunk has its vector and every vector its chunk, a
second reconcile finds nothing left to repair, no duplicate papers or reviews, and every
review, note and added paper the previous (killed) worker acknowledged is there. It then
prints READY, works, and is killed: by the harness at a random moment, or by itself at an
instrumented point (just before/after the N-th SQLite commit, before/after the N-th vector
upsert, before the N-th atomic rename).

`python -m tests.reliability.crash setup|work|check WORKLOAD WORKDIR [KILL] [KILLS_SO_FAR]`
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
WORKLOADS = ("ingest", "quiz", "notes")
KILL_POINTS = ("random", "precommit", "commit", "upsert", "postupsert", "replace")
NOTE_IDS = ("2501.00001", "topic-1", "journal")
QUIZ_PAPER = "2501.00001"
INGEST_PDFS = 60
QUIZ_CARDS = 400


# -- the worker (runs in the killed subprocess) -----------------------------------------------------

def _services(work: Path) -> Any:
    from types import SimpleNamespace

    from kb.fakes import HashEmbedder
    from paperplan.wiring import build_services

    svc = build_services(embedder=HashEmbedder())
    # The test-only hook: no model, no network. An LLM that is not capable is never called
    # by grading (multiple choice is graded exactly) or by the topic mapper.
    svc.__dict__["llm"] = SimpleNamespace(capable=False, name="none", provider="none", model="none")
    return svc


def _ack(work: Path, line: str) -> None:
    with open(work / "acks.log", "a", encoding="utf-8") as f:
        f.write(line + "\n")
        f.flush()


def _acks(work: Path) -> list[list[str]]:
    path = work / "acks.log"
    if not path.exists():
        return []
    # A line cut by the kill has no newline yet: not acknowledged.
    text = path.read_text(encoding="utf-8")
    lines = text.split("\n")[:-1]
    return [ln.split(" ") for ln in lines if ln]


def setup(workload: str, work: Path) -> None:
    from kb import cards, papers
    from kb.cards import Card
    from kb.types import Chunk, Paper, TopicAssignment
    from paperplan.commands.setup import run_init
    from tests.reliability.helpers import text_pdf

    svc = _services(work)
    run_init(svc)
    papers.upsert_paper(svc.db, Paper(id=QUIZ_PAPER, title="Contrastive image-text pretraining", source="arxiv",
                                      abstract="Images and captions are aligned with a contrastive loss."))
    papers.set_topic_assignments(svc.db, QUIZ_PAPER, [TopicAssignment(QUIZ_PAPER, 1, 0.9, "embedding")])
    svc.kb.index_chunks(QUIZ_PAPER, [Chunk(QUIZ_PAPER, 0, "abstract", "Images and captions are aligned.")])
    if workload == "quiz":
        cards.add_cards(svc.db, [
            Card(type="mcq", question=f"Question {i}: which loss aligns images and captions?",
                 answer="contrastive", options=["contrastive", "L2", "hinge", "focal"], paper_id=QUIZ_PAPER, topic=1)
            for i in range(QUIZ_CARDS)])
    if workload == "ingest":
        (work / "in").mkdir(exist_ok=True)
        for i in range(INGEST_PDFS):
            text_pdf(work / "in" / f"doc-{i:03d}.pdf", title="Generated paper", seed=i)


def _arm(kill: str) -> None:
    """Instrument the kill point: SIGKILL ourselves at the N-th hit of that point."""
    if kill == "random" or ":" not in kill:
        return
    point, _, nth = kill.partition(":")
    counter = {"n": 0}

    def hit(where: str) -> None:
        if where == point:
            counter["n"] += 1
            if counter["n"] >= int(nth):
                os.kill(os.getpid(), signal.SIGKILL)

    from kb.db import Database
    from kb.vectors import VectorStore

    original_tx = Database.transaction

    @contextmanager
    def transaction(self: Database) -> Iterator[Any]:
        with original_tx(self) as conn:
            yield conn
            hit("precommit")
        hit("commit")

    Database.transaction = transaction  # type: ignore[method-assign]
    original_upsert = VectorStore.upsert

    def upsert(self: VectorStore, *args: Any, **kwargs: Any) -> None:
        hit("upsert")
        original_upsert(self, *args, **kwargs)
        hit("postupsert")

    VectorStore.upsert = upsert  # type: ignore[method-assign]
    original_replace = os.replace

    def replace(src: Any, dst: Any, *args: Any, **kwargs: Any) -> None:
        hit("replace")
        original_replace(src, dst, *args, **kwargs)

    os.replace = replace  # type: ignore[assignment]


def work_loop(workload: str, work: Path, kill: str) -> None:
    svc = _services(work)
    _arm(kill)
    print("READY", flush=True)
    if workload == "ingest":
        from paperplan.commands.ingest import run_add

        for pdf in sorted((work / "in").glob("*.pdf")):
            report = run_add(svc, [pdf])
            for item in report.added:
                _ack(work, f"added {item['id']}")
    elif workload == "quiz":
        quiz = svc.quiz
        later = timedelta(0)
        while True:
            now = datetime.now(UTC) + later
            session = quiz.session(now)
            if not session:
                # Every card is answered and none is due yet. Come back when the next one is, as
                # the learner would: otherwise, once earlier runs have answered every card, the
                # worker exits at once and the harness's random kill lands on nothing.
                next_due = svc.db.scalar("SELECT MIN(due) FROM cards WHERE suspended = 0 AND due IS NOT NULL")
                if next_due is None:
                    break
                later += datetime.fromisoformat(next_due) - now + timedelta(seconds=1)
                continue
            for n, card in enumerate(session):
                answered = quiz.answer(card, "a" if n % 3 else "b", now)
                review_id = svc.db.scalar("SELECT MAX(id) FROM reviews WHERE card_id = ?", (card.id,))
                _ack(work, f"review {review_id} {card.id} {answered.rating}")
    elif workload == "notes":
        vault = svc.notes
        n = int(next((a[2] for a in reversed(_acks(work)) if a[0] == "note"), "0"))
        while n < 100_000:
            n += 1
            note_id = NOTE_IDS[n % len(NOTE_IDS)]
            note = vault.read(note_id)
            vault.save(note_id, f"My thoughts, revision token-{n}.\n\nSecond paragraph of {n}.", note.hash)
            _ack(work, f"note {note_id} {n}")
    print("DONE", flush=True)


def start_and_check(workload: str, work: Path, kills_so_far: int) -> dict[str, Any]:
    """What the next start does, and whether what it finds is consistent."""
    from kb.db import Database
    from kb.notes import split_front_matter
    from paperplan.commands.setup import run_init

    svc = _services(work)
    raw = Database(svc.paths.db)  # before anything writes: the state the kill left
    integrity = raw.scalar("PRAGMA integrity_check")
    raw.close()
    problems: list[str] = []
    if integrity != "ok":
        problems.append(f"integrity_check: {integrity}")
    init = run_init(svc)
    repaired = init["reconciled"]
    if workload == "ingest":  # the next `paperplan add` starts like this, under the lock
        from kb.locks import IngestLock

        with IngestLock(svc.paths.root, "reliability check"):
            svc.ingestor.reconcile()
    if workload == "notes":
        sync = svc.notes.sync()
        if sync.errors:
            problems.append(f"notes sync errors: {sync.errors}")
    again = svc.kb.reconcile()
    if again.embedded or again.removed:
        problems.append(f"left to repair after the start: {again}")
    db = svc.db
    sql_ids = {r[0] for r in db.query("SELECT id FROM chunks")}
    vec_ids = svc.kb.vectors.all_ids()
    if sql_ids - vec_ids:
        problems.append(f"{len(sql_ids - vec_ids)} chunks without a vector")
    if vec_ids - sql_ids:
        problems.append(f"{len(vec_ids - sql_ids)} vectors without a chunk")
    orphans = db.scalar("SELECT COUNT(*) FROM chunks WHERE paper_id NOT IN (SELECT id FROM papers)"
                        " AND paper_id NOT LIKE 'topic-%' AND paper_id != 'journal'")
    if orphans:
        problems.append(f"{orphans} chunks without their paper")
    dup_papers = db.query("SELECT pdf_path, COUNT(*) FROM papers WHERE pdf_path != '' GROUP BY pdf_path"
                          " HAVING COUNT(*) > 1")
    if dup_papers:
        problems.append(f"duplicate papers for one PDF: {[tuple(r) for r in dup_papers]}")
    dup_reviews = db.scalar("SELECT COUNT(*) FROM (SELECT card_id, reviewed_at FROM reviews"
                            " GROUP BY card_id, reviewed_at HAVING COUNT(*) > 1)")
    if dup_reviews:
        problems.append(f"{dup_reviews} duplicate reviews")
    acks = _acks(work)
    acked = 0
    litter: list[str] = []
    if workload == "ingest":
        for _, paper_id in (a[:2] for a in acks if a[0] == "added"):
            acked += 1
            row = db.query("SELECT fulltext FROM papers WHERE id = ?", (paper_id,))
            body = db.scalar("SELECT COUNT(*) FROM chunks WHERE paper_id = ? AND kind = 'body'", (paper_id,))
            if not row or row[0][0] != "indexed" or not body:
                problems.append(f"acknowledged paper {paper_id} is missing or not indexed")
        pending = db.scalar("SELECT COUNT(*) FROM papers WHERE fulltext = 'pending'")
        # Not an inconsistency (nothing refers to them) but litter nobody removes: reported apart.
        litter += [f"partial PDF copy left in pdfs/: {p.name}" for p in svc.paths.pdfs.glob(".*.part")]
    elif workload == "quiz":
        reviews = int(db.scalar("SELECT COUNT(*) FROM reviews") or 0)
        for _, review_id, card_id, _rating in (a[:4] for a in acks if a[0] == "review"):
            acked += 1
            if db.scalar("SELECT card_id FROM reviews WHERE id = ?", (int(review_id),)) != card_id:
                problems.append(f"acknowledged review {review_id} of {card_id} is missing")
        if reviews > acked + kills_so_far:  # at most one answer in flight per kill
            problems.append(f"{reviews} reviews stored for {acked} acknowledged and {kills_so_far} kills")
        pending = 0
    else:
        last: dict[str, int] = {}
        for _, note_id, token in (a[:3] for a in acks if a[0] == "note"):
            acked += 1
            last[note_id] = int(token)
        for note_id, n in last.items():
            path = svc.notes.note_path(note_id)
            text = path.read_text(encoding="utf-8") if path.exists() else ""
            front, body = split_front_matter(text)
            got = [int(t) for t in re.findall(r"token-(\d+)", body)]
            if not got or got[0] < n:
                problems.append(f"saved note {note_id} (token {n}) is missing: file has {got}")
            if front.get("id") != note_id:
                problems.append(f"note {note_id} has broken front matter")
            indexed = db.scalar("SELECT COUNT(*) FROM chunks WHERE paper_id = ? AND kind = 'note'"
                                " AND text LIKE ?", (note_id, f"%token-{got[0] if got else n}%"))
            if not indexed:
                problems.append(f"note {note_id} is not indexed as its file says")
        pending = 0
    return {"workload": workload, "integrity": integrity, "repaired": repaired, "acknowledged": acked,
            "pending": pending, "problems": problems, "litter": litter, "ok": not problems}


def worker_main(argv: list[str]) -> int:
    mode, workload, work = argv[0], argv[1], Path(argv[2])
    kill = argv[3] if len(argv) > 3 else "random"
    kills_so_far = int(argv[4]) if len(argv) > 4 else 0
    if mode == "setup":
        setup(workload, work)
        return 0
    result = start_and_check(workload, work, kills_so_far)
    with open(work / "checks.jsonl", "a", encoding="utf-8") as f:
        f.write(json.dumps(result) + "\n")
    if mode == "work":
        work_loop(workload, work, kill)
    return 0


# -- the harness -------------------------------------------------------------------------------------

@dataclass
class CrashReport:
    kills: int = 0
    survived: int = 0  # kills after which the next start found everything consistent
    runs: int = 0
    finished_unkilled: int = 0
    by_workload: dict[str, dict[str, int]] = field(default_factory=dict)
    by_point: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    litter: list[str] = field(default_factory=list)  # files a kill left that no start removes
    repaired: dict[str, int] = field(default_factory=lambda: {"embedded": 0, "removed": 0})

    def to_json(self) -> dict[str, Any]:
        return self.__dict__.copy()


def _env(work: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERPLAN_") or k == "PAPERPLAN_CACHE"}
    env.update({
        "PAPERPLAN_HOME": str(work / "data"), "PAPERPLAN_CONFIG": str(work / "config.toml"),
        # Nothing may reach the network: arXiv points at a closed local port.
        "PAPERPLAN_INGEST__ARXIV_API_URL": "http://127.0.0.1:9/api/query",
        "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
    })
    return env


def _run(args: list[str], work: Path) -> subprocess.Popen[bytes]:
    with open(work / "worker.log", "ab") as log:
        return subprocess.Popen([sys.executable, "-m", "tests.reliability.crash", *args], cwd=REPO,
                                env=_env(work), stdout=subprocess.PIPE, stderr=log)


def _wait_ready(proc: subprocess.Popen[bytes], timeout: float) -> bool:
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    fd = proc.stdout.fileno()
    os.set_blocking(fd, False)
    buffer = b""
    while time.monotonic() < deadline:
        with suppress(BlockingIOError):
            buffer += os.read(fd, 4096)
        if b"READY" in buffer:
            return True
        if proc.poll() is not None:
            return False
        time.sleep(0.05)
    return False


def run_workload(workload: str, work: Path, kills: int, rng: random.Random, report: CrashReport,
                 log: Callable[[str], None] = lambda s: None) -> None:
    work.mkdir(parents=True, exist_ok=True)
    (work / "config.toml").write_text("", encoding="utf-8")
    setup_proc = _run(["setup", workload, str(work)], work)
    if setup_proc.wait(600) != 0:
        report.failures.append(f"{workload}: setup failed (see {work / 'worker.log'})")
        return
    stats = report.by_workload.setdefault(workload, {"kills": 0, "survived": 0})
    done_kills = 0
    attempts = 0
    killed: dict[int, bool] = {0: False}  # run number → ended by SIGKILL (run 0 is the setup)
    while done_kills < kills and attempts < kills * 3:
        attempts += 1
        point = KILL_POINTS[attempts % len(KILL_POINTS)]
        if workload == "quiz" and point in ("upsert", "postupsert", "replace"):
            point = "random"  # a review touches no vectors or files
        kill = "random" if point == "random" else f"{point}:{rng.randint(1, 6)}"
        proc = _run(["work", workload, str(work), kill, str(done_kills)], work)
        report.runs += 1
        if not _wait_ready(proc, 300):
            proc.kill()
            proc.wait()
            report.failures.append(f"{workload}: the worker did not start (see {work / 'worker.log'})")
            break
        if kill == "random":
            time.sleep(rng.uniform(0.05, 2.0))
            proc.send_signal(signal.SIGKILL)
        try:
            code = proc.wait(120)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            code = proc.wait()
        if proc.stdout:
            proc.stdout.close()
        killed[attempts] = code == -signal.SIGKILL
        if code == -signal.SIGKILL:
            done_kills += 1
            report.kills += 1
            stats["kills"] += 1
            report.by_point[point] = report.by_point.get(point, 0) + 1
        else:
            report.finished_unkilled += 1
        log(f"{workload}: run {attempts} kill={kill} exit={code}")
        _collect_last_check(work, workload, report, stats, expect=attempts, after_kill=killed[attempts - 1])
    # The start after the last kill.
    check = _run(["check", workload, str(work), "random", str(done_kills)], work)
    check.wait(300)
    _collect_last_check(work, workload, report, stats, expect=attempts + 1, after_kill=killed[attempts])


def _collect_last_check(work: Path, workload: str, report: CrashReport, stats: dict[str, int], expect: int,
                        after_kill: bool) -> None:
    """The check written at the start of run `expect` judges the run before it (run 1's: the setup)."""
    lines = (work / "checks.jsonl").read_text(encoding="utf-8").splitlines() if (work / "checks.jsonl").exists() else []
    if len(lines) < expect:
        report.failures.append(f"{workload}: run {expect} wrote no check (see {work / 'worker.log'})")
        return
    result = json.loads(lines[expect - 1])
    for key in ("embedded", "removed"):
        report.repaired[key] += int(result["repaired"].get(key, 0))
    report.litter += [f"{workload}: {item}" for item in result.get("litter", [])
                      if f"{workload}: {item}" not in report.litter]
    if not result["ok"]:
        what = "the kill of run" if after_kill else "run"
        report.failures.append(f"{workload}: after {what} {expect - 1}: {'; '.join(result['problems'])}")
    elif after_kill:
        report.survived += 1
        stats["survived"] += 1


def run_crash_suite(work: Path, kills: dict[str, int], seed: int = 11,
                    log: Callable[[str], None] = lambda s: None) -> CrashReport:
    """Kill each workload `kills[workload]` times. `survived` counts the kills whose next start
    found everything consistent (a run that ends without a kill is checked the same way, and
    a failed check there is a failure too, but it is no kill survived)."""
    import threading

    parts = {w: CrashReport() for w in kills}
    threads = [threading.Thread(target=run_workload, name=f"crash-{w}",
                                args=(w, work / w, n, random.Random(f"{seed}-{w}"), parts[w], log))
               for w, n in kills.items()]
    for t in threads:  # the workloads use separate data dirs: they run side by side
        t.start()
    for t in threads:
        t.join()
    report = CrashReport()
    for part in parts.values():
        report.kills += part.kills
        report.survived += part.survived
        report.runs += part.runs
        report.finished_unkilled += part.finished_unkilled
        report.by_workload.update(part.by_workload)
        for k, v in part.by_point.items():
            report.by_point[k] = report.by_point.get(k, 0) + v
        report.failures += part.failures
        report.litter += part.litter
        for k, v in part.repaired.items():
            report.repaired[k] += v
    return report


if __name__ == "__main__":
    sys.exit(worker_main(sys.argv[1:]))
