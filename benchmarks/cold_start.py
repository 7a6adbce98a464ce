"""B5: cold start, as the import time of each function module from the built Lambda artifact.

The artifact is built by `infra/package.py` (wheels for Lambda and the sources, byte-compiled)
and unpacked twice: as built, and with every `__pycache__` removed (what a Lambda without
shipped bytecode does on each cold start: /var/task is read-only, so it compiles every module
it imports, every time). Each module is imported in a fresh interpreter (`-I -B`: nothing from
the project or the user's site, no bytecode written), with the artifact first on `sys.path`;
the median of `runs` imports is reported, and whether boto3 came in with it.
"""

from __future__ import annotations

import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
SERVERLESS_YML = ROOT / "infra" / "serverless.yml"
IMPORT_ONE = """
import importlib, json, sys, time
sys.path.insert(0, sys.argv[1])
started = time.perf_counter()
importlib.import_module(sys.argv[2])
elapsed = time.perf_counter() - started
print(json.dumps({"s": elapsed, "boto3": "boto3" in sys.modules}))
"""


def function_modules(path: Path = SERVERLESS_YML) -> list[str]:
    """`functions.<name>.app` for every Lambda handler of the deployment."""
    functions = yaml.safe_load(path.read_text())["functions"]
    handlers = (str(spec["handler"]) for spec in functions.values())
    return sorted({h.rpartition(".")[0].replace("/", ".") for h in handlers})


def build_artifact(out: Path) -> bool:
    """The full artifact at `out`; True if it holds the dependencies (else sources only:
    the wheels could not be fetched, and the venv's packages are imported instead)."""
    from infra import package

    try:
        package.build(out)
    except (subprocess.CalledProcessError, SystemExit, OSError) as exc:
        print(f"[bench] B5: building with dependencies failed ({exc}); sources only", flush=True)
        package.build(out, skip_deps=True)
        return False
    return True


def import_once(root: Path, module: str) -> dict[str, Any]:
    completed = subprocess.run(
        [sys.executable, "-I", "-B", "-c", IMPORT_ONE, str(root), module],
        capture_output=True,
        text=True,
        cwd=root,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"importing {module} failed:\n{completed.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


def measure(root: Path, module: str, runs: int) -> dict[str, Any]:
    results = [import_once(root, module) for _ in range(runs)]
    return {
        "median_ms": round(statistics.median(r["s"] for r in results) * 1000, 1),
        "runs_ms": [round(r["s"] * 1000, 1) for r in results],
        "boto3_imported": any(r["boto3"] for r in results),
    }


def strip_bytecode(root: Path) -> None:
    for cache in sorted(root.rglob("__pycache__"), reverse=True):
        shutil.rmtree(cache)


def b5_cold_start(runs: int = 5) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="paygate-bench-b5-") as tmp:
        out = Path(tmp) / "paygate.zip"
        with_deps = build_artifact(out)
        built, bare = Path(tmp) / "task", Path(tmp) / "task-no-bytecode"
        with zipfile.ZipFile(out) as archive:
            archive.extractall(built)
            archive.extractall(bare)
        strip_bytecode(bare)
        modules = {
            module: {
                "with_bytecode": measure(built, module, runs),
                "without_bytecode": measure(bare, module, runs),
            }
            for module in function_modules()
        }
        size = out.stat().st_size
    return {
        "runs": runs,
        "artifact_bytes": size,
        "artifact_has_dependencies": with_deps,
        "python": sys.version.split()[0],
        "modules": modules,
    }
