"""A scripted chat model for fault injection: each call takes the next item of its script,
returning it when it is text and raising it when it is an exception. Wrapped in agent.llm.LLM
exactly as the real providers are."""

from __future__ import annotations

import json
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import Field

from agent.llm import LLM


class ScriptedChat(BaseChatModel):
    script: list[Any]
    when: dict[str, Any] = Field(default_factory=dict)  # a substring of the conversation → the item
    calls: list[list[BaseMessage]] = Field(default_factory=list)
    kwargs_seen: list[dict[str, Any]] = Field(default_factory=list)  # what each call was offered (tools?)
    position: int = 0

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> ChatResult:
        self.calls.append(list(messages))
        seen = " ".join(str(m.content) for m in messages)
        matched = [item for key, item in self.when.items() if key in seen]
        if matched:
            item = matched[0]
        else:
            item = self.script[min(self.position, len(self.script) - 1)]
            self.position += 1
        self.kwargs_seen.append(dict(kwargs))
        if isinstance(item, BaseException):
            raise item
        if isinstance(item, AIMessage):  # e.g. one that asks for tool calls
            return ChatResult(generations=[ChatGeneration(message=item)])
        text = item if isinstance(item, str) else json.dumps(item)
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])


def scripted_llm(*script: Any, capable: bool = False, when: dict[str, Any] | None = None) -> tuple[LLM, ScriptedChat]:
    chat = ScriptedChat(script=list(script), calls=[], when=when or {})
    return LLM(chat, provider="fake", model="scripted", capable=capable), chat
