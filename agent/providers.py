"""Builds the project's `LLM` for a provider: the only module that imports the langchain chat
providers and llama.cpp.

- `embedded` (default): the bundled Qwen2.5-Coder-1.5B-Instruct GGUF run in-process by
  llama-cpp-python; no network, no key. Structured output is grammar-constrained
  (`response_format={"type": "json_object", "schema": …}`), not hoped for.
- `ollama`: a local Ollama server; structured output through Ollama's `format` (a JSON schema).
- `openai`: any OpenAI-compatible endpoint; `response_format` with a JSON schema.

Why our own chat model for llama.cpp instead of langchain_community's ChatLlamaCpp: that
class loads the model when it is constructed (we want the 1.1 GB file opened on the first
call, so building services stays instant) and it has no timeout. `LlamaCppChat` is a thin
`BaseChatModel` over `llama_cpp.Llama` that loads lazily, passes `response_format` through,
enforces a wall-clock deadline per call (prompt evaluation included, see `_DeadlineAbort`)
and streams.

The composition root passes a plain `ProviderConfig` (it reads settings and the API key
from the environment); nothing here reads config files or env vars.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage, SystemMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import BaseModel, Field, PrivateAttr

from agent.llm import LLM, LLMError, LLMTimeout
from agent.model_files import EMBEDDED_MODEL, check_model_file, ensure_embedded_model

DEFAULT_MODELS = {"ollama": "qwen2.5:7b-instruct", "openai": "gpt-4o-mini"}
DEFAULT_URLS = {"ollama": "http://127.0.0.1:11434", "openai": ""}


@dataclass(frozen=True)
class ProviderConfig:
    provider: str = "embedded"  # embedded | ollama | openai
    model: str = ""
    base_url: str = ""
    api_key: str = field(default="", repr=False)
    api_key_env: str = "OPENAI_API_KEY"  # named in errors only; the key itself comes in api_key
    model_path: str = ""  # embedded: a GGUF file instead of the bundled model
    cache_dir: Path | None = None  # embedded: where the bundled model is assembled
    timeout_s: float = 180.0
    max_tokens: int = 512
    temperature: float = 0.0
    context_tokens: int = 4096
    threads: int = 2


def _role(message: BaseMessage) -> str:
    if isinstance(message, SystemMessage):
        return "system"
    if isinstance(message, HumanMessage):
        return "user"
    if isinstance(message, AIMessage):
        return "assistant"
    return "user"


class _DeadlineAbort:
    """llama.cpp's abort callback, bound to a deadline.

    Evaluating a long prompt is one `llama_decode` per batch of 256 tokens, each many seconds
    on a slow CPU, and Python gets no control back until the whole prompt is done. llama.cpp
    asks the context's abort callback between the operations of its compute graph; once it
    answers yes, `llama_decode` returns 2 (which `Llama.eval` raises as RuntimeError) after
    dropping the aborted batch from the KV cache. So a call stops within a fraction of a
    second of its deadline, and the next call (whose evaluation first trims the cache to the
    tokens `Llama` has recorded) finds a consistent model.

    Armed only until the first token arrives: the callback runs hundreds of times per
    generated token and each run takes the GIL, which a busy Python thread would make slow;
    during generation the check between streamed tokens is enough. The ctypes callback object
    is held here for as long as llama.cpp has its pointer (the life of the `Llama`)."""

    def __init__(self, client: Any) -> None:
        import llama_cpp

        self._set = llama_cpp.llama_set_abort_callback
        self._ctx = client.ctx
        self._callback = llama_cpp.ggml_abort_callback(self._expired)
        self._no_callback = llama_cpp.ggml_abort_callback()  # NULL: no callback
        # llama.cpp logs its clean-up of an aborted batch as an error; it is our timeout, not one.
        self._log = logging.getLogger("llama-cpp-python")
        self._log_level = self._log.level
        self.deadline: float | None = None
        self.fired = False

    def _expired(self, _data: Any) -> bool:
        if self.deadline is None or time.monotonic() <= self.deadline:
            return False
        if not self.fired:
            self.fired = True
            self._log.setLevel(logging.CRITICAL + 1)
        return True

    def arm(self, deadline: float) -> None:
        self.deadline, self.fired = deadline, False
        self._log_level = self._log.level
        self._set(self._ctx, self._callback, None)

    def disarm(self) -> None:
        if self.deadline is None:
            return
        self._set(self._ctx, self._no_callback, None)
        self.deadline = None
        if self.fired:
            self._log.setLevel(self._log_level)


class LlamaCppChat(BaseChatModel):
    """A langchain chat model over `llama_cpp.Llama`, loaded on the first call."""

    model_path: str = ""
    cache_dir: str = ""  # used when model_path is empty: the bundled model is assembled here
    context_tokens: int = 4096
    threads: int = 2
    temperature: float = 0.0
    max_tokens: int = 512
    timeout_s: float = 180.0
    seed: int = 42

    _client: Any = PrivateAttr(default=None)
    _abort: _DeadlineAbort | None = PrivateAttr(default=None)  # set with the client by `load`
    _lock: Any = PrivateAttr(default_factory=threading.Lock)
    load_seconds: float | None = None  # set by the first load, reported by `llm check`
    last_usage: dict[str, Any] = Field(default_factory=dict)  # token counts of the last call

    @property
    def _llm_type(self) -> str:
        return "paperplan-llama-cpp"

    def resolved_path(self) -> Path:
        if self.model_path:
            path = Path(self.model_path).expanduser()
            check_model_file(path)
            return path
        path = ensure_embedded_model(Path(self.cache_dir))
        check_model_file(path, EMBEDDED_MODEL.size)
        return path

    def load(self) -> Any:
        with self._lock:
            if self._client is None:
                path = self.resolved_path()
                started = time.perf_counter()
                try:
                    from llama_cpp import Llama

                    client = Llama(model_path=str(path), n_ctx=self.context_tokens, n_threads=self.threads,
                                   n_batch=256, seed=self.seed, verbose=False)
                    self._abort = _DeadlineAbort(client)
                    self._client = client
                except Exception as exc:  # llama.cpp reports a bad file as ValueError or RuntimeError
                    raise LLMError(f"cannot load the model file {path}: {exc}",
                                   hint="the file may be corrupt: delete it (the bundled model is reassembled "
                                        "on the next run) or point llm.model_path at another GGUF") from exc
                self.load_seconds = time.perf_counter() - started
        return self._client

    def _params(self, stop: list[str] | None, kwargs: dict[str, Any]) -> dict[str, Any]:
        params: dict[str, Any] = {"temperature": self.temperature, "max_tokens": kwargs.pop("max_tokens", self.max_tokens),
                                  "seed": self.seed}
        if stop:
            params["stop"] = stop
        if "response_format" in kwargs:
            params["response_format"] = kwargs.pop("response_format")
        return params

    def _pieces(self, messages: list[BaseMessage], stop: list[str] | None, kwargs: dict[str, Any]) -> Iterator[str]:
        """The answer token by token, stopped at the deadline.

        Until the first token, llama.cpp itself watches the deadline (`_DeadlineAbort`): that
        is where a long prompt is evaluated. After it, the deadline is checked between
        streamed tokens, the one place a running generation can be stopped from Python (an
        exception raised in a logits processor runs inside a C callback and is swallowed);
        so generation always streams."""
        client = self.load()
        timeout_s = float(kwargs.pop("timeout_s", self.timeout_s))
        deadline = time.monotonic() + timeout_s
        late = f"no answer within {timeout_s:g} s"
        abort = self._abort
        if abort:
            abort.arm(deadline)
        stream = None
        try:
            stream = client.create_chat_completion(
                messages=[{"role": _role(m), "content": m.text} for m in messages], stream=True,
                **self._params(stop, kwargs))
            for part in stream:
                if time.monotonic() > deadline:
                    raise TimeoutError(late)
                text = (part["choices"][0].get("delta") or {}).get("content") or ""
                if text:
                    if abort:
                        abort.disarm()  # the prompt is evaluated
                    yield text
        except RuntimeError as exc:  # "llama_decode returned 2": aborted at the deadline
            if abort and abort.fired:
                raise TimeoutError(late) from exc
            raise
        finally:
            if abort:
                abort.disarm()
            close = getattr(stream, "close", None)
            if close:
                close()  # stops the generation

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> ChatResult:
        pieces = list(self._pieces(messages, stop, kwargs))
        # One streamed piece is one generated token in llama.cpp.
        self.last_usage = {"input_tokens": 0, "output_tokens": len(pieces), "total_tokens": len(pieces)}
        message = AIMessage(content="".join(pieces), usage_metadata=self.last_usage)  # type: ignore[arg-type]
        return ChatResult(generations=[ChatGeneration(message=message)], llm_output={"usage": self.last_usage})

    def _stream(self, messages: list[BaseMessage], stop: list[str] | None = None,
                run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        for text in self._pieces(messages, stop, kwargs):
            chunk = ChatGenerationChunk(message=AIMessageChunk(content=text))
            if run_manager:
                run_manager.on_llm_new_token(text, chunk=chunk)
            yield chunk


def llama_schema_kwargs(schema: type[BaseModel]) -> dict[str, Any]:
    """llama.cpp turns a JSON schema into a grammar: the model cannot emit anything else."""
    return {"response_format": {"type": "json_object", "schema": schema.model_json_schema()}}


def ollama_schema_kwargs(schema: type[BaseModel]) -> dict[str, Any]:
    return {"format": schema.model_json_schema()}


def openai_schema_kwargs(schema: type[BaseModel]) -> dict[str, Any]:
    return {"response_format": {"type": "json_schema", "json_schema": {
        "name": schema.__name__, "schema": schema.model_json_schema(), "strict": False}}}


def build_llm(config: ProviderConfig) -> LLM:
    """The configured model behind the project's `LLM` face. Loads nothing yet."""
    if config.provider == "embedded":
        if not config.model_path and config.cache_dir is None:
            raise LLMError("the embedded provider needs a cache dir or llm.model_path")
        chat = LlamaCppChat(model_path=config.model_path, cache_dir=str(config.cache_dir or ""),
                            context_tokens=config.context_tokens, threads=config.threads,
                            temperature=config.temperature, max_tokens=config.max_tokens,
                            timeout_s=config.timeout_s)
        name = Path(config.model_path).name if config.model_path else EMBEDDED_MODEL.name
        return LLM(chat, provider="embedded", model=name, capable=False,
                   schema_kwargs=llama_schema_kwargs, max_tokens=config.max_tokens)
    if config.provider == "ollama":
        from langchain_ollama import ChatOllama

        model = config.model or DEFAULT_MODELS["ollama"]
        url = config.base_url or DEFAULT_URLS["ollama"]
        ollama = ChatOllama(model=model, base_url=url, temperature=config.temperature, num_predict=config.max_tokens,
                            num_ctx=config.context_tokens, client_kwargs={"timeout": config.timeout_s})
        return LLM(ollama, provider="ollama", model=model, capable=True,
                   schema_kwargs=ollama_schema_kwargs, max_tokens=config.max_tokens, endpoint=f"Ollama at {url}")
    if config.provider == "openai":
        if not config.api_key:
            raise LLMError(f"the openai provider needs an API key in the environment variable {config.api_key_env}",
                           hint=f"export {config.api_key_env}=…, or set llm.api_key_env to the variable that "
                                "holds it (keys are never read from files)")
        from langchain_openai import ChatOpenAI
        from pydantic import SecretStr

        model = config.model or DEFAULT_MODELS["openai"]
        openai = ChatOpenAI(model=model, base_url=config.base_url or None, api_key=SecretStr(config.api_key),
                            temperature=config.temperature, max_completion_tokens=config.max_tokens,
                            timeout=config.timeout_s, max_retries=1)
        return LLM(openai, provider="openai", model=model, capable=True, schema_kwargs=openai_schema_kwargs,
                   max_tokens=config.max_tokens, endpoint=config.base_url or "the OpenAI API")
    raise LLMError(f"unknown llm provider {config.provider!r}", hint="set llm.provider to embedded, ollama or openai")


def load_model(llm: LLM) -> float | None:
    """Load the model now (the embedded one loads on first call otherwise); seconds taken."""
    chat = llm.chat
    if isinstance(chat, LlamaCppChat):
        chat.load()
        return chat.load_seconds
    return None


__all__ = ["LLMTimeout", "LlamaCppChat", "ProviderConfig", "build_llm", "load_model"]
