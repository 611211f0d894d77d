"""Where paperplan keeps its data: platformdirs' user data dir, or $PAPERPLAN_HOME."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class DataPaths:
    root: Path

    @property
    def db(self) -> Path:
        return self.root / "paperplan.db"

    @property
    def chroma(self) -> Path:
        return self.root / "chroma"

    @property
    def pdfs(self) -> Path:
        return self.root / "pdfs"

    @property
    def notes(self) -> Path:
        return self.root / "notes"

    @property
    def digests(self) -> Path:
        return self.root / "digests"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    def create(self) -> None:
        for path in (self.root, self.chroma, self.pdfs, self.notes, self.digests, self.logs):
            path.mkdir(parents=True, exist_ok=True)


def data_paths() -> DataPaths:
    if home := os.environ.get("PAPERPLAN_HOME"):
        return DataPaths(Path(home).expanduser().resolve())
    from platformdirs import user_data_dir

    return DataPaths(Path(user_data_dir("paperplan")))


def cache_dir() -> Path:
    """Shared by every data dir (the assembled LLM lives here, so tests build it once)."""
    if env := os.environ.get("PAPERPLAN_CACHE"):
        return Path(env).expanduser()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("paperplan"))
