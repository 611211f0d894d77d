"""The project's one face of a language model: forced-schema calls, plain completions, streams.

Every agent step is a fixed prompt with a forced schema (`LLM.structured`): the output is
validated with pydantic, retried once with the validation error, then fails with a clear
`LLMOutputError`. Nothing here chooses tools; a small model is never asked to.

Providers are built in `agent/providers.py` (the only module that imports the langchain
chat providers and llama.cpp). Tests wrap langchain's fake chat models in this same class.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage
from pydantic import BaseModel, SecretStr, ValidationError

from kb.errors import PaperplanError

T = TypeVar("T", bound=BaseModel)


class LLMError(PaperplanError):
    hint = "check `paperplan llm check`; llm.provider and llm.model in your config choose the model"


class LLMTimeout(LLMError):
    hint = "the model took longer than llm.timeout_s; raise it, or use a faster model"


class LLMOutputError(LLMError):
    hint = "the model's answer did not fit the expected form twice; a larger model (llm.provider) helps"


def extract_json(text: str) -> Any:
    """The first JSON object in `text` (models wrap JSON in prose or code fences)."""
    text = text.strip()
    fenced = re.search(r"```(?:json)?\s*(.*?)```", text, re.S)
    if fenced:
        text = fenced.group(1).strip()
    start = text.find("{")
    if start < 0:
        raise ValueError("no JSON object in the answer")
    obj, _ = json.JSONDecoder().raw_decode(text[start:])
    return obj


class LLM:
    """A langchain chat model plus what every caller needs around it.

    `capable` is False for the small embedded model: callers then prefer cheap heuristics
    for steps a small model does badly (evidence scoring, grading free text).
    `schema_kwargs(schema)` returns the per-call kwargs that make the provider constrain
    its output to the JSON schema (grammar decoding on llama.cpp, `format` on Ollama,
    `response_format` on OpenAI-compatible servers); empty for fakes.
    """

    def __init__(self, chat: BaseChatModel, *, provider: str, model: str, capable: bool,
                 schema_kwargs: Callable[[type[BaseModel]], dict[str, Any]] | None = None,
                 max_tokens: int = 512, endpoint: str = "") -> None:
        self.chat = chat
        self.provider = provider
        self.model = model
        self.capable = capable
        self._schema_kwargs: Callable[[type[BaseModel]], dict[str, Any]] = schema_kwargs or (lambda schema: {})
        self.max_tokens = max_tokens
        self.endpoint = endpoint  # a server's URL, named when it cannot be reached
        # Token counts of the last call ({"input_tokens", "output_tokens", …}; empty if the
        # provider reports none), for `paperplan llm check` and the benchmarks.
        self.last_usage: dict[str, Any] = {}

    @property
    def name(self) -> str:
        return f"{self.provider}:{self.model}"

    def _messages(self, system: str, user: str) -> list[BaseMessage]:
        return [SystemMessage(system), HumanMessage(user)]

    def _invoke(self, messages: list[BaseMessage], **kwargs: Any) -> str:
        self.last_usage = {}
        try:
            result = self.chat.invoke(messages, **kwargs)
        except Exception as exc:
            raise self._error(exc) from exc
        self.last_usage = dict(getattr(result, "usage_metadata", None) or {})
        content = result.content
        return content if isinstance(content, str) else json.dumps(content)

    def _error(self, exc: Exception) -> PaperplanError:
        """One named error for the many exception types providers raise."""
        if isinstance(exc, PaperplanError):
            return exc
        said = self._redact(str(exc))  # some servers echo the API key in their error
        text = f"{type(exc).__name__}: {said}"
        if isinstance(exc, TimeoutError) or "timeout" in type(exc).__name__.lower() or "timed out" in text.lower():
            return LLMTimeout(f"{self.name} timed out: {said}")
        if "connect" in text.lower() or isinstance(exc, ConnectionError):
            where = self.endpoint or self.provider
            return LLMError(f"cannot reach {where} for {self.name}: {said}",
                            hint="start the server (e.g. `ollama serve`) or fix llm.base_url; "
                                 "llm.provider = \"embedded\" needs no server")
        return LLMError(f"{self.name} failed: {text}")

    def _redact(self, text: str) -> str:
        """`text` without the chat model's secrets (its API key), so no error can print them."""
        for name in type(self.chat).model_fields:
            value = getattr(self.chat, name, None)
            if isinstance(value, SecretStr) and value.get_secret_value():
                text = text.replace(value.get_secret_value(), "***")
        return text

    def structured(self, schema: type[T], system: str, user: str) -> T:
        """Call with the output forced to `schema`; validate; retry once with the error."""
        schema_json = json.dumps(schema.model_json_schema(), ensure_ascii=False)
        system = f"{system}\n\nAnswer with one JSON object that fits this JSON schema, and nothing else:\n{schema_json}"
        messages = self._messages(system, user)
        error = ""
        for attempt in range(2):
            raw = self._invoke(messages, **self._schema_kwargs(schema))
            try:
                return schema.model_validate(extract_json(raw))
            except (ValueError, ValidationError) as exc:
                error = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                if attempt == 0:
                    messages = [*messages, HumanMessage(
                        f"That answer was not valid ({error}). Answer again with only the JSON object.")]
        raise LLMOutputError(f"{self.name} gave no valid {schema.__name__} after a retry: {error}")

    def complete(self, system: str, user: str) -> str:
        return self._invoke(self._messages(system, user))

    def stream(self, system: str, user: str) -> Iterator[str]:
        try:
            for chunk in self.chat.stream(self._messages(system, user)):
                if isinstance(chunk.content, str) and chunk.content:
                    yield chunk.content
        except Exception as exc:
            raise self._error(exc) from exc
