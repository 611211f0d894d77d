"""`paperplan llm check`: load the configured model, make one tiny structured call, report."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from agent.llm import LLM

llm_app = typer.Typer(help="The language model.", no_args_is_help=True)


def run_llm_check(llm: LLM) -> dict[str, Any]:
    """Load time, one forced-schema call and its speed. Raises the named LLM errors."""
    from pydantic import BaseModel, Field

    from agent.providers import load_model

    class Sum(BaseModel):
        answer: int = Field(description="the sum as a number")

    load_s = load_model(llm)
    started = time.perf_counter()
    result = llm.structured(Sum, "You are a calculator.", "What is 2 + 3?")
    call_s = time.perf_counter() - started
    output_tokens = int(llm.last_usage.get("output_tokens") or 0)
    decode = _decode_speed(llm)
    return {
        "provider": llm.provider, "model": llm.model, "capable": llm.capable,
        "load_s": round(load_s, 2) if load_s is not None else None,
        "call_s": round(call_s, 2), "output_tokens": output_tokens or None,
        "input_tokens": int(llm.last_usage.get("input_tokens") or 0) or None,
        # Streaming speed once the first token is out: how fast a long answer appears.
        "tokens_per_s": decode["tokens_per_s"], "first_token_s": decode["first_token_s"],
        "structured_output": "ok", "answer": result.answer, "answer_correct": result.answer == 5,
    }


def _decode_speed(llm: LLM) -> dict[str, float | None]:
    """Stream a short answer; one streamed piece is one token for llama.cpp and Ollama."""
    started = time.perf_counter()
    stamps = [time.perf_counter() for _ in llm.stream("Answer briefly.", "Count from 1 to 15, separated by commas.")]
    if len(stamps) < 2:
        return {"tokens_per_s": None, "first_token_s": None}
    return {"tokens_per_s": round((len(stamps) - 1) / max(stamps[-1] - stamps[0], 1e-6), 1),
            "first_token_s": round(stamps[0] - started, 2)}


@llm_app.command("check")
def check(json_output: bool = typer.Option(False, "--json", help="Print one JSON document on stdout.")) -> None:
    """Load the configured model, run one tiny structured call, report speed."""
    from paperplan.cli import emit_json, services

    svc = services()
    typer.echo(f"loading {svc.settings.llm.provider} model …", err=True)
    report = run_llm_check(svc.llm)
    if json_output:
        emit_json(report)
        return
    typer.echo(f"provider: {report['provider']}")
    typer.echo(f"model: {report['model']}")
    if report["load_s"] is not None:
        typer.echo(f"load time: {report['load_s']} s")
    typer.echo(f"structured call: ok in {report['call_s']} s (2 + 3 = {report['answer']})")
    if report["tokens_per_s"]:
        typer.echo(f"streaming: {report['tokens_per_s']} tokens/s, first token after {report['first_token_s']} s")
