"""The ingest settings as ingest sees them. The composition root fills this from
`Settings.ingest`; ingest never reads config files or the environment itself."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any


@dataclass
class IngestConfig:
    arxiv_api_url: str = "https://export.arxiv.org/api/query"
    arxiv_pdf_url: str = "https://arxiv.org/pdf/"
    categories: list[str] = field(default_factory=lambda: ["cs.CV", "cs.CL", "cs.LG", "cs.MM", "cs.AI",
                                                           "eess.AS", "eess.IV"])
    keywords_include: list[str] = field(default_factory=list)
    keywords_exclude: list[str] = field(default_factory=list)
    request_interval_s: float = 3.0
    timeout_s: float = 30.0
    max_retries: int = 4
    page_size: int = 100
    max_new_per_run: int = 300
    pdf_max_mb: float = 40.0
    pdf_timeout_s: float = 60.0
    fulltext_min_score: float = 0.45
    reread_per_run: int = 100
    allowed_pdf_hosts: list[str] = field(default_factory=lambda: ["arxiv.org", "export.arxiv.org"])
    feeds: list[str] = field(default_factory=list)

    @classmethod
    def from_mapping(cls, values: dict[str, Any]) -> IngestConfig:
        """From `Settings.ingest.model_dump()`: keys ingest does not use are ignored."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in known})

    @property
    def pdf_max_bytes(self) -> int:
        return int(self.pdf_max_mb * 1024 * 1024)
