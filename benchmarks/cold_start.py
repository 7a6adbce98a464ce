"""B5: cold start, as the import time of each function module from the built Lambda artifact.

The artifact is built by `infra/package.py` (wheels for Lambda and the sources, byte-compiled)
and unpacked twice: as built, and with every `__pycache__` removed (what a Lambda without
shipped bytecode does on each cold start: /var/task is read-only, so it compiles every module
it imports, every time). Each module is imported in a fresh interpreter (`-I -B`: nothing from
the project or the user's site, no bytecode written), with the artifact first on `sys.path`;
the median of `runs` imports is reported (wall and CPU time), and whether boto3 came in with it.

With the dependencies in the artifact the interpreter also runs with `-S`: no site-packages at
all, only the standard library and the artifact, as on Lambda. (Without it, the venv's own
packages leak in where the artifact has none: httpx's `_main` then imports click and rich, and
PyJWT imports cryptography, none of which the artifact ships.)

For the function that serves the API's document (`FIRST_REQUESTS`), the same process then sends
one request through the Mangum handler (an HTTP API 2.0 event, as on Lambda) and times it: what
the import defers to that request is measured, not hidden. The document is the request that
needs no database, so it runs without the local stack.
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
# The first request timed after the import, per module: (method, path).
FIRST_REQUESTS = {"functions.payments_api.app": ("GET", "/openapi.json")}
IMPORT_ONE = """
import importlib, json, sys, time
sys.path.insert(0, sys.argv[1])
started, cpu = time.perf_counter(), time.process_time()
module = importlib.import_module(sys.argv[2])
result = {
    "s": time.perf_counter() - started,
    "cpu_s": time.process_time() - cpu,
    "boto3": "boto3" in sys.modules,
}
if len(sys.argv) > 3:
    method, path = sys.argv[3], sys.argv[4]
    event = {
        "version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": "",
        "headers": {"host": "localhost"}, "isBase64Encoded": False,
        "requestContext": {"http": {"method": method, "path": path, "protocol": "HTTP/1.1",
                                    "sourceIp": "127.0.0.1", "userAgent": "b5"},
                           "stage": "$default", "requestId": "b5", "accountId": "0",
                           "apiId": "b5", "domainName": "localhost"},
    }
    started = time.perf_counter()
    answer = module.handler(event, None)
    result["request_s"] = time.perf_counter() - started
    result["request_status"] = answer["statusCode"]
print(json.dumps(result))
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


def import_once(root: Path, module: str, stdlib_only: bool = False) -> dict[str, Any]:
    """One import in a fresh interpreter; `stdlib_only`: no site-packages either (`-S`)."""
    flags = ["-I", "-B", *(["-S"] if stdlib_only else [])]
    request = list(FIRST_REQUESTS.get(module, ()))
    completed = subprocess.run(
        [sys.executable, *flags, "-c", IMPORT_ONE, str(root), module, *request],
        capture_output=True,
        text=True,
        cwd=root,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"importing {module} failed:\n{completed.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


def _ms(seconds: list[float]) -> float:
    return round(statistics.median(seconds) * 1000, 1)


def measure(root: Path, module: str, runs: int, stdlib_only: bool = False) -> dict[str, Any]:
    results = [import_once(root, module, stdlib_only) for _ in range(runs)]
    measured: dict[str, Any] = {
        "median_ms": _ms([r["s"] for r in results]),
        "cpu_median_ms": _ms([r["cpu_s"] for r in results]),
        "runs_ms": [round(r["s"] * 1000, 1) for r in results],
        "boto3_imported": any(r["boto3"] for r in results),
    }
    if module in FIRST_REQUESTS:
        method, path = FIRST_REQUESTS[module]
        measured["first_request"] = {
            "request": f"{method} {path}",
            "median_ms": _ms([r["request_s"] for r in results]),
            "import_and_request_median_ms": _ms([r["s"] + r["request_s"] for r in results]),
            "statuses": sorted({r["request_status"] for r in results}),
        }
    return measured


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
                "with_bytecode": measure(built, module, runs, stdlib_only=with_deps),
                "without_bytecode": measure(bare, module, runs, stdlib_only=with_deps),
            }
            for module in function_modules()
        }
        size = out.stat().st_size
    return {
        "runs": runs,
        "artifact_bytes": size,
        "artifact_has_dependencies": with_deps,  # and then imported with -S (stdlib only)
        "python": sys.version.split()[0],
        "modules": modules,
    }
