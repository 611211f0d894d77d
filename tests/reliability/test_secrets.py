"""API keys come from the environment only, and never appear in logs, outputs, the KB or digests.

The app runs its commands (debug logging on) against a local OpenAI-compatible server with a
fake key in the environment; then every byte of the data dir and every line the commands
printed is scanned for the key. The key may reach the server only in its Authorization header.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from paperplan.settings import ConfigError, load_settings
from tests.reliability.helpers import Reply, full_only, scripted_server

REPO = Path(__file__).resolve().parents[2]
KEY = "sk-paperplan-FAKE-7f3a9c1e5b2d4680aa11"


def openai_answer(body: bytes) -> tuple[int, dict[str, str], bytes]:
    request = json.loads(body or b"{}")
    content = json.dumps({"answer": 5})
    if request.get("stream"):
        chunk = {"id": "c", "object": "chat.completion.chunk", "created": 0, "model": "gpt-fake",
                 "choices": [{"index": 0, "delta": {"role": "assistant", "content": content}, "finish_reason": None}]}
        done = {**chunk, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
        data = f"data: {json.dumps(chunk)}\n\ndata: {json.dumps(done)}\n\ndata: [DONE]\n\n".encode()
        return 200, {"Content-Type": "text/event-stream"}, data
    answer = {"id": "c", "object": "chat.completion", "created": 0, "model": "gpt-fake",
              "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
              "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}}
    return 200, {"Content-Type": "application/json"}, json.dumps(answer).encode()


def leaky_401(body: bytes) -> tuple[int, dict[str, str], bytes]:
    """A server that echoes the key back in its error, as some proxies do."""
    error = {"error": {"message": f"Incorrect API key provided: {KEY}", "type": "invalid_request_error"}}
    return 401, {"Content-Type": "application/json"}, json.dumps(error).encode()


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tests.reliability.cli_hook", "-v", *args], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)


@full_only
def test_the_key_is_used_but_never_written_or_printed(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text('[llm]\nprovider = "openai"\nmodel = "gpt-fake"\n', encoding="utf-8")
    outputs: list[str] = []
    with scripted_server({"/v1/": [Reply(answer=openai_answer)]}, max_requests=200, max_seconds=280) as (url, log):
        env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERPLAN_") or k == "PAPERPLAN_CACHE"}
        env.update({"PAPERPLAN_HOME": str(tmp_path / "data"), "PAPERPLAN_CONFIG": str(tmp_path / "config.toml"),
                    "PAPERPLAN_LLM__BASE_URL": url + "/v1", "OPENAI_API_KEY": KEY, "PYTHONPATH": str(REPO),
                    "PAPERPLAN_INGEST__ARXIV_API_URL": "http://127.0.0.1:9/api/query"})
        for args in (["init"], ["status", "--json"], ["llm", "check", "--json"], ["topics", "map"],
                     ["ask", "What is contrastive pretraining?"], ["recommend", "--json"], ["digest"]):
            proc = run(args, env)
            outputs.append(f"$ paperplan {' '.join(args)} → {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
        assert any(b"chat/completions" in p.encode() for p in log.paths), "the LLM was really called"
        auth = [{k.lower(): v for k, v in h.items()}.get("authorization", "") for h in log.headers]
        assert f"Bearer {KEY}" in auth, "the key is taken from the environment"
        assert not any(KEY.encode() in body for body in log.bodies), "the key is never in a request body"
    with scripted_server({"/v1/": [Reply(answer=leaky_401)]}, max_requests=20, max_seconds=120) as (url, _log):
        env["PAPERPLAN_LLM__BASE_URL"] = url + "/v1"
        proc = run(["llm", "check"], env)
        outputs.append(f"$ paperplan llm check (401) → {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
        assert proc.returncode == 1
    printed = "\n".join(outputs)
    assert KEY not in printed, "the key was printed:\n" + "\n".join(
        line for line in printed.splitlines() if KEY in line)[:2000]
    leaks = [str(p) for p in (tmp_path / "data").rglob("*") if p.is_file() and KEY.encode() in p.read_bytes()]
    assert leaks == [], f"the key is stored in {leaks}"
    assert list((tmp_path / "data" / "digests").glob("*")), "a digest was written (and scanned)"


def test_a_key_in_a_config_file_or_setting_is_refused_without_echoing_it(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    user = tmp_path / "user.toml"
    user.write_text(f'[llm]\nprovider = "openai"\napi_key = "{KEY}"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(repo_config=None, user_config=user)
    assert "'api_key'" in str(caught.value) and KEY not in str(caught.value)
    user.write_text("", encoding="utf-8")
    monkeypatch.setenv("PAPERPLAN_LLM__API_KEY", KEY)
    with pytest.raises(ConfigError) as caught:
        load_settings(repo_config=None, user_config=user)
    assert "PAPERPLAN_LLM__API_KEY" in str(caught.value) and KEY not in str(caught.value)
