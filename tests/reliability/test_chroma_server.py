"""A Chroma server (`kb.chroma_url`) that goes away mid-run: the run stops with a
VectorStoreError naming the server, SQLite keeps what it had, and once the server is back the
next start repairs the index (`reconcile`) and the interrupted papers are added again."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kb.errors import VectorStoreError
from kb.fakes import HashEmbedder
from paperplan.paths import DataPaths
from paperplan.settings import Settings
from paperplan.wiring import build_services
from tests.reliability.helpers import free_port, full_only, text_pdf

pytestmark = [pytest.mark.server, full_only]


def start_chroma(path: Path, port: int) -> subprocess.Popen[bytes]:
    chroma = Path(sys.executable).parent / "chroma"
    log = open(path.parent / f"chroma-{port}.log", "ab")  # noqa: SIM115 - lives as long as the server
    proc = subprocess.Popen([str(chroma), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
                            stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return proc
        except OSError:
            if proc.poll() is not None:
                break
            time.sleep(0.3)
    proc.kill()
    pytest.fail(f"chroma run did not start on port {port}")


def test_chroma_server_going_away_is_named_and_repaired_when_it_returns(tmp_path: Path) -> None:
    from paperplan.commands.ingest import run_add
    from paperplan.commands.setup import run_init

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = start_chroma(tmp_path / "chroma-db", port)
    try:
        settings = Settings.model_validate({"kb": {"chroma_url": url}, "ingest": {"arxiv_api_url": "http://127.0.0.1:9/api/query"}})
        svc = build_services(settings, DataPaths(tmp_path / "data"), embedder=HashEmbedder())
        run_init(svc)
        pdfs = [text_pdf(tmp_path / f"paper-{i}.pdf", seed=i) for i in range(3)]
        first = run_add(svc, pdfs[:1])
        assert len(first.added) == 1

        server.send_signal(signal.SIGKILL)  # the server goes away mid-run
        server.wait(10)
        with pytest.raises(VectorStoreError) as caught:
            run_add(svc, pdfs[1:])
        assert url in str(caught.value) or f"127.0.0.1:{port}" in str(caught.value)
        assert svc.db.integrity_ok()
        last = svc.db.query("SELECT ok, summary FROM runs ORDER BY id DESC LIMIT 1")[0]
        assert last["ok"] == 0 and "VectorStoreError" in last["summary"], "the run is recorded as failed"

        server = start_chroma(tmp_path / "chroma-db", port)  # back again
        svc2 = build_services(settings, DataPaths(tmp_path / "data"), embedder=HashEmbedder())
        run_init(svc2)  # the next start repairs the index
        again = svc2.kb.reconcile()
        assert (again.embedded, again.removed) == (0, 0), "nothing left to repair after the start"
        second = run_add(svc2, pdfs[1:])
        assert len(second.added) + len(second.unchanged) == 2
        sql_ids = {r[0] for r in svc2.db.query("SELECT id FROM chunks")}
        assert sql_ids == svc2.kb.vectors.all_ids()
        assert svc2.db.scalar("SELECT COUNT(*) FROM papers WHERE source = 'local'") == 3
    finally:
        server.kill()
        server.wait(10)
