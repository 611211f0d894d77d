"""Errors the user sees: each says what went wrong with which thing, and what to do."""

from __future__ import annotations


class PaperplanError(Exception):
    """Base for every error shown to the user as one line plus an optional hint."""

    hint: str = ""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        if hint:
            self.hint = hint


class PlanError(PaperplanError):
    hint = "fix the plan file at the line named, or point plan.path in your config at another plan"


class StoreError(PaperplanError):
    hint = "check the data directory (PAPERPLAN_HOME) is writable; `paperplan status` shows where it is"


class VectorStoreError(StoreError):
    hint = "if kb.chroma_url is set, check the Chroma server is running (`chroma run --path DIR`)"


class EmbedderError(PaperplanError):
    hint = "reinstall the environment with `make run`, or set kb.embedder in your config"
