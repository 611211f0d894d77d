"""Builds the concrete services from settings. The only place that picks backends."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from kb.db import Database
from kb.embedder import Embedder, make_embedder
from kb.errors import PaperplanError
from kb.notes import NotesVault
from kb.plan import Plan, load_plan
from kb.store import KnowledgeBase
from paperplan.paths import DataPaths, cache_dir, data_paths
from paperplan.settings import Settings, load_settings

if TYPE_CHECKING:  # the LLM layer imports langchain: only when a command needs it
    from agent.ask import Asker
    from agent.draft import RelatedWorkDrafter
    from agent.llm import LLM
    from agent.providers import ProviderConfig
    from agent.quiz import Quiz
    from agent.recommend import Recommender
    from agent.topics import TopicMapper
    from ingest.pipeline import Ingestor
    from kb.retrieval import Retriever


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

        name = collection_name(self.embedder.name)
        return KnowledgeBase(self.db, self.embedder, open_vectors, windows_collection=f"{name}-windows")

    @cached_property
    def notes(self) -> NotesVault:
        """The learner's Markdown notes in the data dir (building it reads nothing)."""
        return NotesVault(self.paths.notes, self.kb)

    @cached_property
    def llm(self) -> LLM:
        """The configured language model; the embedded one loads on its first call, not here."""
        from agent.providers import build_llm

        return build_llm(provider_config(self.settings))

    @cached_property
    def retriever(self) -> Retriever:
        """Hybrid dense + BM25 search; the keyword index is cached in the data dir."""
        from kb.retrieval import Retriever, load_glossary

        # The plan's Chinese topic titles ↔ English titles extend the glossary for Chinese questions.
        glossary = load_glossary((t.title, t.title_en) for t in self.plan.topics)
        return Retriever(self.kb, glossary=glossary, cache_dir=self.paths.root / "bm25")

    @cached_property
    def asker(self) -> Asker:
        """Cited answers; the LLM is built only when an answer (not a retrieval) is asked for."""
        from agent.ask import Asker

        return Asker(self.retriever, lambda: self.llm)

    @cached_property
    def drafter(self) -> RelatedWorkDrafter:
        """Related-work drafts from the learner's read papers and notes; the LLM loads on the first draft."""
        from agent.draft import RelatedWorkDrafter

        return RelatedWorkDrafter(self.retriever, lambda: self.llm)

    @cached_property
    def ingestor(self) -> Ingestor:
        """arXiv, PDFs and feeds into the KB. Building it opens no connection and loads no
        model; take `kb.locks.IngestLock` around a run (paperplan.commands.ingest.run_ingest does)."""
        from ingest.config import IngestConfig
        from ingest.pipeline import Ingestor

        return Ingestor(self.kb, self.plan, IngestConfig.from_mapping(self.settings.ingest.model_dump()),
                        self.paths.pdfs)

    @cached_property
    def topic_mapper(self) -> TopicMapper:
        """Maps papers to plan topics. Uses the LLM only when it is capable (not the embedded
        default), so building it never loads a model."""
        from agent.topics import TopicMapper

        llm = None
        if self.settings.llm.provider != "embedded":
            try:
                llm = self.llm
            except PaperplanError as exc:  # e.g. a missing API key must not stop the nightly mapping
                logging.getLogger(__name__).warning("topic mapping without an LLM: %s", exc)
        return TopicMapper(self.kb, self.plan, llm)

    @cached_property
    def recommender(self) -> Recommender:
        """Progress and weekly picks; arithmetic over the KB, no model is loaded to build it."""
        from agent.recommend import Recommender, Weights

        rec = self.settings.recommend
        return Recommender(self.kb, self.plan, per_week=rec.per_week, start_date=self.settings.plan.start_date,
                           weights=Weights(mmr_lambda=rec.mmr_lambda, novelty_days=rec.novelty_days))

    @cached_property
    def quiz(self) -> Quiz:
        """Quiz sessions, card generation and grading; the LLM is built on first need only."""
        from agent.quiz import Quiz, QuizConfig

        q = self.settings.quiz
        config = QuizConfig(
            desired_retention=q.desired_retention, new_cards_per_session=q.new_cards_per_session,
            session_cards=q.session_cards, pass_mark=q.pass_mark, assessment_cards=q.assessment_cards,
            cards_per_paper=q.cards_per_paper, short_answer_threshold=q.short_answer_threshold,
            duplicate_similarity=q.duplicate_similarity,
        )
        return Quiz(self.kb, self.plan, lambda: self.llm, config)


def provider_config(settings: Settings) -> ProviderConfig:
    """The LLM settings as the provider factory wants them; the API key from the environment only."""
    import os

    from agent.providers import ProviderConfig

    llm = settings.llm
    return ProviderConfig(
        provider=llm.provider, model=llm.model, base_url=llm.base_url,
        api_key=os.environ.get(llm.api_key_env, "") if llm.api_key_env else "", api_key_env=llm.api_key_env,
        model_path=llm.model_path, cache_dir=cache_dir(), timeout_s=llm.timeout_s, max_tokens=llm.max_tokens,
        temperature=llm.temperature, context_tokens=llm.context_tokens, threads=llm.threads,
    )


def build_services(settings: Settings | None = None, paths: DataPaths | None = None,
                   embedder: Embedder | None = None) -> Services:
    return Services(settings or load_settings(), paths or data_paths(), embedder)
