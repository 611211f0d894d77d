from __future__ import annotations

from pathlib import Path

import pytest

from paperplan.settings import REPO_CONFIG, ConfigError, load_settings, render_default_config


def test_repo_config_holds_every_key_with_its_default_and_a_comment() -> None:
    assert REPO_CONFIG.read_text(encoding="utf-8") == render_default_config(), (
        "config.toml is out of date: regenerate it with `.venv/bin/python -m paperplan.settings > config.toml`"
    )


def test_layers_user_file_then_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    user = tmp_path / "user-config.toml"
    user.write_text('[llm]\nprovider = "ollama"\nmodel = "qwen2.5:7b"\n[quiz]\npass_mark = 0.8\n', encoding="utf-8")
    monkeypatch.setenv("PAPERPLAN_LLM__MODEL", "llama3.2")
    monkeypatch.setenv("PAPERPLAN_INGEST__ARXIV_API_URL", "http://127.0.0.1:9/api/query")
    settings = load_settings()
    assert settings.llm.provider == "ollama"  # from the user file
    assert settings.llm.model == "llama3.2"  # env beats the file
    assert settings.quiz.pass_mark == 0.8
    assert settings.ingest.arxiv_api_url == "http://127.0.0.1:9/api/query"
    assert settings.ingest.request_interval_s == 3.0  # repo default kept


def test_a_typo_in_the_user_file_names_the_key_and_the_file(tmp_path: Path) -> None:
    user = tmp_path / "user-config.toml"
    user.write_text('[kb]\nchroma_ur = "http://x"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_settings()
    assert str(user) in str(err.value)
    assert "'chroma_ur'" in str(err.value) and "did you mean 'chroma_url'" in str(err.value)


def test_an_unknown_section_is_named(tmp_path: Path) -> None:
    (tmp_path / "user-config.toml").write_text("[injest]\npage_size = 5\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"unknown section \[injest\] \(did you mean 'ingest'\?\)"):
        load_settings()


def test_a_bad_value_names_the_key_and_where_it_came_from(tmp_path: Path) -> None:
    user = tmp_path / "user-config.toml"
    user.write_text('[llm]\nprovider = "gpt"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_settings()
    assert str(user) in str(err.value) and "llm.provider" in str(err.value)


def test_an_env_typo_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAPERPLAN_LLM__PROVDER", "ollama")
    with pytest.raises(ConfigError, match=r"PAPERPLAN_LLM__PROVDER.*did you mean 'provider'"):
        load_settings()


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "user-config.toml").write_text("[llm\nprovider=", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings()


def test_a_missing_config_named_by_env_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAPERPLAN_CONFIG", str(tmp_path / "absent.toml"))
    with pytest.raises(ConfigError, match=r"absent\.toml, which does not exist"):
        load_settings()


def test_start_date_accepts_a_date_or_empty(tmp_path: Path) -> None:
    (tmp_path / "user-config.toml").write_text('[plan]\nstart_date = "2026-09-01"\n', encoding="utf-8")
    assert str(load_settings().plan.start_date) == "2026-09-01"


def test_ingest_config_mirrors_every_ingest_setting() -> None:
    """ingest may not import paperplan, so IngestConfig repeats [ingest]; keep the two in step.

    A setting missing from IngestConfig would be dropped silently by `from_mapping`.
    """
    from dataclasses import MISSING, fields

    from ingest.config import IngestConfig
    from paperplan.settings import IngestSettings

    config_defaults = {
        f.name: f.default if f.default is not MISSING else f.default_factory()  # type: ignore[misc]
        for f in fields(IngestConfig)
    }
    for name, info in IngestSettings.model_fields.items():
        assert name in config_defaults, f"[ingest] {name} never reaches the ingest layer (add it to IngestConfig)"
        if name != "feeds":  # IngestConfig defaults to no feeds so code built without settings fetches none
            assert config_defaults[name] == info.default, f"[ingest] {name}: defaults differ"
