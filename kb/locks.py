"""One ingest at a time across processes: `paperplan ingest`, the scheduler service, the TUI.

The lock is an OS file lock (flock on POSIX, msvcrt on Windows) on `ingest.lock` in the data
dir. The kernel releases it when the holding process dies, however it dies, so a lock left
behind by a killed process is simply taken over by the next one. The file's content says who
holds it (pid, what it is doing, since when) so the process that is refused can say so.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from kb.db import utc_now
from kb.errors import PaperplanError

LOCK_NAME = "ingest.lock"


class LockHeld(PaperplanError):
    hint = ("wait for it to finish, or stop that process; a lock left by a process that died is "
            "taken over automatically")


def _try_lock(handle: IO[str]) -> bool:
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        import msvcrt

        try:
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False
    import fcntl

    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except OSError:
        return False


def _unlock(handle: IO[str]) -> None:
    if sys.platform == "win32":  # pragma: no cover
        import msvcrt

        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
        return
    import fcntl

    fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def read_holder(data_dir: Path) -> dict[str, Any] | None:
    """Who holds (or last held) the lock, as written in the lock file; None if unknown."""
    try:
        text = (data_dir / LOCK_NAME).read_text(encoding="utf-8")
        info = json.loads(text)
        return info if isinstance(info, dict) else None
    except (OSError, ValueError):
        return None


class IngestLock:
    """`with IngestLock(data_dir, "paperplan ingest"): …` — raises LockHeld if another holds it.

    `update(doing)` records the current stage, so a refused process can say what the holder
    is doing.
    """

    def __init__(self, data_dir: Path, holder: str) -> None:
        self.path = Path(data_dir) / LOCK_NAME
        self.holder = holder
        self._handle: IO[str] | None = None
        self._info: dict[str, Any] = {}

    def acquire(self) -> IngestLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # "a+" neither truncates (the holder's info must survive our failed attempt) nor fails.
        handle = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - closed in release()
        if not _try_lock(handle):
            handle.close()
            info = read_holder(self.path.parent) or {}
            who = f"pid {info.get('pid', '?')} ({info.get('holder', 'unknown')}"
            if info.get("doing"):
                who += f": {info['doing']}"
            who += ")"
            raise LockHeld(f"another ingest holds {self.path}: {who} since {info.get('since', '?')}")
        self._handle = handle
        self._info = {"pid": os.getpid(), "holder": self.holder, "doing": "starting", "since": utc_now()}
        self._write()
        return self

    def update(self, doing: str) -> None:
        if self._handle is None:
            return
        self._info["doing"] = doing
        self._write()

    def _write(self) -> None:
        assert self._handle is not None
        self._handle.seek(0)
        self._handle.truncate()
        self._handle.write(json.dumps(self._info))
        self._handle.flush()

    def release(self) -> None:
        if self._handle is None:
            return
        try:
            self._info["doing"] = "finished"
            self._write()
            _unlock(self._handle)
        finally:
            self._handle.close()
            self._handle = None

    @property
    def held(self) -> bool:
        return self._handle is not None

    def __enter__(self) -> IngestLock:
        return self.acquire()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()
