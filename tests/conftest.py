"""Shared fixtures. Unit tests of logic use the hash embedder; tests marked as using the real
model say so. Nothing here reaches the internet."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from kb.fakes import HashEmbedder
from paperplan.paths import DataPaths
from paperplan.settings import Settings
from paperplan.wiring import Services, build_services

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
SHARED_PDFS = SHARED / "fixtures" / "pdf"
FIXTURES = Path(__file__).resolve().parent / "fixtures"

# The hub must never be asked for anything during tests.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def shared_pdf(name: str) -> Path:
    """A real arXiv PDF from ../shared (they are not copied into the repo: licences)."""
    path = SHARED_PDFS / name
    if not path.exists():
        pytest.skip(f"{path} is absent: the real arXiv PDFs live in ../shared/fixtures/pdf beside the repo")
    return path


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test gets its own data dir and no user config or stray PAPERPLAN_* settings."""
    for name in list(os.environ):
        if name.startswith("PAPERPLAN_") and name != "PAPERPLAN_CACHE":
            monkeypatch.delenv(name)
    monkeypatch.setenv("PAPERPLAN_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("PAPERPLAN_CONFIG", str(tmp_path / "user-config.toml"))
    (tmp_path / "user-config.toml").write_text("", encoding="utf-8")


@pytest.fixture
def data_paths(tmp_path: Path) -> DataPaths:
    return DataPaths(tmp_path / "data")


@pytest.fixture
def services(data_paths: DataPaths) -> Iterator[Services]:
    """Services on a fresh data dir with the hash embedder (fast, deterministic)."""
    svc = build_services(Settings(), data_paths, embedder=HashEmbedder())
    yield svc
    if "db" in svc.__dict__:
        svc.db.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real `chroma run` server on 127.0.0.1, for the same store tests as the embedded client."""
    chroma = Path(sys.executable).parent / "chroma"
    if not chroma.exists():
        pytest.fail(f"{chroma} is missing: the chromadb package installs it; run `make test` to set up")
    port = free_port()
    path = tmp_path_factory.mktemp("chroma-server")
    log = open(path / "server.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([str(chroma), "run", "--path", str(path / "db"), "--host", "127.0.0.1",
                             "--port", str(port)], stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                break
        except OSError:
            if proc.poll() is not None:
                pytest.fail(f"chroma run exited early: {(path / 'server.log').read_text()[-2000:]}")
            time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail("chroma run did not listen within 60 s")
    yield url
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()
