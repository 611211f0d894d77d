"""The layering promises: light entry points, and the lower layers know nothing of the UI."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("torch", "chromadb", "sentence_transformers", "langchain_core", "langchain", "llama_cpp", "transformers")


def loaded_after(code: str) -> set[str]:
    probe = (
        "import sys\n" + code + "\n"
        "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


def test_help_imports_no_heavy_engine() -> None:
    modules = loaded_after(
        "from typer.testing import CliRunner\nfrom paperplan.cli import app\n"
        "r = CliRunner().invoke(app, ['--help'])\nassert r.exit_code == 0, r.output"
    )
    assert not modules & set(HEAVY), modules & set(HEAVY)


def test_help_runs_as_a_command() -> None:
    result = subprocess.run([sys.executable, "-m", "paperplan.cli", "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and "init" in result.stdout and "status" in result.stdout


def test_lower_layers_load_no_textual() -> None:
    modules = loaded_after(
        "import kb.plan, kb.store, kb.papers, kb.snapshot, kb.db, kb.runs\n"
        "import pkgutil, importlib, agent, ingest\n"
        "for pkg in (agent, ingest):\n"
        "    for m in pkgutil.iter_modules(pkg.__path__):\n"
        "        importlib.import_module(f'{pkg.__name__}.{m.name}')\n"
    )
    assert "textual" not in modules


def test_kb_core_imports_load_no_heavy_engine() -> None:
    modules = loaded_after("import kb.plan, kb.store, kb.papers, kb.snapshot, kb.db, kb.embedder, kb.vectors")
    assert not modules & set(HEAVY), modules & set(HEAVY)
