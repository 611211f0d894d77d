"""Builds the concrete services from settings. The only place that picks backends."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from kb.db import Database
from kb.embedder import Embedder, make_embedder
from kb.notes import NotesVault
from kb.plan import Plan, load_plan
from kb.store import KnowledgeBase
from paperplan.paths import DataPaths, data_paths
from paperplan.settings import Settings, load_settings


def collection_name(embedder_name: str) -> str:
    """One collection per embedding model, e.g. chunks-all-minilm-l6-v2."""
    return "chunks-" + re.sub(r"[^a-zA-Z0-9._-]", "-", embedder_name).strip("-.")


@dataclass
class Services:
    settings: Settings
    paths: DataPaths
    embedder_override: Embedder | None = field(default=None, repr=False)

    @cached_property
    def plan(self) -> Plan:
        return load_plan(Path(self.settings.plan.path).expanduser() if self.settings.plan.path else None)

    @cached_property
    def db(self) -> Database:
        self.paths.create()
        return Database(self.paths.db)

    @cached_property
    def embedder(self) -> Embedder:
        return self.embedder_override or make_embedder(self.settings.kb.embedder)

    @property
    def vector_location(self) -> str:
        return self.settings.kb.chroma_url or str(self.paths.chroma)

    @cached_property
    def kb(self) -> KnowledgeBase:
        def open_vectors():  # type: ignore[no-untyped-def]
            from kb.vectors import VectorStore

            return VectorStore(path=self.paths.chroma, url=self.settings.kb.chroma_url,
                               collection=collection_name(self.embedder.name))

        return KnowledgeBase(self.db, self.embedder, open_vectors)

    @cached_property
    def notes(self) -> NotesVault:
        """The learner's Markdown notes in the data dir (building it reads nothing)."""
        return NotesVault(self.paths.notes, self.kb)


def build_services(settings: Settings | None = None, paths: DataPaths | None = None,
                   embedder: Embedder | None = None) -> Services:
    return Services(settings or load_settings(), paths or data_paths(), embedder)
