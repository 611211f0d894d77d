"""`make bench` section: the embedded LLM's load time, speed and memory on this machine.

Runs `paperplan llm check`'s measurement in a child process, so the memory figure is the
model's own peak RSS and not the benchmark harness's.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys

CHILD = """
import json, time
from paperplan.commands.llm import run_llm_check
from paperplan.settings import Settings
from paperplan.wiring import provider_config
from agent.providers import build_llm
from agent.model_files import ensure_embedded_model
started = time.perf_counter()
ensure_embedded_model(provider_config(Settings()).cache_dir)
assemble_s = time.perf_counter() - started
report = run_llm_check(build_llm(provider_config(Settings(llm={"provider": "embedded"}))))
report["assemble_s"] = round(assemble_s, 2)
print(json.dumps(report))
"""


def run() -> list[dict]:
    out = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, check=True)
    report = json.loads(out.stdout.strip().splitlines()[-1])
    rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    model = report["model"]
    return [
        {"metric": "embedded model: assemble/verify (cached)", "value": report["assemble_s"], "unit": "s",
         "goal": "", "ok": None, "note": "first run joins 22 parts (~1.1 GB); later runs check size + marker"},
        {"metric": "embedded model: load", "value": report["load_s"], "unit": "s", "goal": "≤ 10", "ok":
         report["load_s"] is not None and report["load_s"] <= 10, "note": model},
        {"metric": "embedded model: tiny structured call", "value": report["call_s"], "unit": "s", "goal": "",
         "ok": None, "note": f"{report['input_tokens']} prompt tokens, grammar-constrained JSON"},
        {"metric": "embedded model: streaming decode", "value": report["tokens_per_s"], "unit": "tok/s",
         "goal": "≥ 10", "ok": bool(report["tokens_per_s"]) and report["tokens_per_s"] >= 10,
         "note": f"first token after {report['first_token_s']} s"},
        {"metric": "embedded model: peak RSS", "value": round(rss_mb), "unit": "MB", "goal": "≤ 2500",
         "ok": rss_mb <= 2500, "note": "child process: Python + llama.cpp + model"},
    ]


if __name__ == "__main__":
    from bench.harness import print_table

    print_table({"sections": {"bench_llm": {"rows": run(), "error": None}}})
