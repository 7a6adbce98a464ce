"""`infra/package.py`: a reproducible artifact holding what the handlers import, pinned deps."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import marshal
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from infra import package
from tests.deploy import serverless_config as sls

PACKAGE_SCRIPT = sls.ROOT / "infra" / "package.py"
REQUIREMENTS = sls.ROOT / "infra" / "requirements.txt"
IMPORT_CHECK = """
import importlib, json, sys
root = sys.argv[1]
sys.path.insert(0, root)
loaded = {}
for module_name in sys.argv[2:]:
    module = importlib.import_module(module_name)
    loaded[module_name] = callable(getattr(module, "handler", None))
ours = {name: getattr(m, "__file__", "") or "" for name, m in sys.modules.items()
        if name.split(".")[0] in ("shared", "functions")}
print(json.dumps({"handlers": loaded, "outside": sorted(n for n, f in ours.items()
                  if not f.startswith(root))}))
"""


def build(out: Path) -> str:
    result = subprocess.run(
        [sys.executable, str(PACKAGE_SCRIPT), "--skip-deps", "--out", str(out)],
        capture_output=True,
        text=True,
        check=True,
        cwd=sls.ROOT,
    )
    assert str(out) in result.stdout
    return hashlib.sha256(out.read_bytes()).hexdigest()


def test_the_artifact_is_reproducible(tmp_path: Path) -> None:
    first = build(tmp_path / "one" / "paygate.zip")
    second = build(tmp_path / "two" / "paygate.zip")
    assert first == second


def test_the_artifact_holds_the_sources_and_nothing_else(tmp_path: Path) -> None:
    out = tmp_path / "paygate.zip"
    build(out)
    with zipfile.ZipFile(out) as archive:
        infos = archive.infolist()
    names = [info.filename for info in infos]
    assert names == sorted(names)
    assert {info.date_time for info in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert "shared/config.py" in names and "shared/domain/settlement.py" in names
    for function in sls.functions():
        assert sls.module_name(function).replace(".", "/") + ".py" in names
    assert {name.split("/")[0] for name in names} == {"shared", "functions"}
    sources = {n for n in names if n.endswith(".py") and "__pycache__" not in n}
    assert set(names) == sources | {_pyc_of(n) for n in sources}


def _pyc_of(source: str) -> str:
    folder, _, file = source.rpartition("/")
    return f"{folder}/__pycache__/{file[:-3]}.cpython-312.pyc"


def test_modules_ship_unchecked_hash_bytecode_named_for_var_task(tmp_path: Path) -> None:
    """Lambda's /var/task is read-only: without shipped bytecode every cold start compiles."""
    out = tmp_path / "paygate.zip"
    build(out)
    name = "shared/domain/payment.py"
    with zipfile.ZipFile(out) as archive:
        source, pyc = archive.read(name), archive.read(_pyc_of(name))
    flags = int.from_bytes(pyc[4:8], "little")
    assert pyc[:4] == importlib.util.MAGIC_NUMBER
    assert flags == 0b01, "hash-based (no mtime) and unchecked (no source read at import)"
    assert pyc[8:16] == importlib.util.source_hash(source)
    code = marshal.loads(pyc[16:])
    assert code.co_filename == "/var/task/" + name


def test_no_bytecode_when_asked(tmp_path: Path) -> None:
    out = tmp_path / "paygate.zip"
    subprocess.run(
        [sys.executable, str(PACKAGE_SCRIPT), "--skip-deps", "--no-bytecode", "--out", str(out)],
        capture_output=True,
        check=True,
        cwd=sls.ROOT,
    )
    with zipfile.ZipFile(out) as archive:
        assert not [n for n in archive.namelist() if not n.endswith(".py")]


def test_every_handler_imports_from_the_unpacked_artifact(tmp_path: Path) -> None:
    out = tmp_path / "paygate.zip"
    build(out)
    unpacked = tmp_path / "task"
    with zipfile.ZipFile(out) as archive:
        archive.extractall(unpacked)
    modules = [sls.module_name(function) for function in sls.functions()]
    result = subprocess.run(
        [sys.executable, "-I", "-c", IMPORT_CHECK, str(unpacked), *modules],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["handlers"] == dict.fromkeys(modules, True)
    assert report["outside"] == [], "imported from the project, not the artifact"


def _entries(requirements: str) -> dict[str, Requirement]:
    return {
        canonicalize_name(r.name): r
        for r in (
            Requirement(line.split(" --hash=")[0])
            for line in package.for_lambda(requirements).splitlines()
        )
    }


def test_requirements_are_the_runtime_part_of_the_lock() -> None:
    assert REQUIREMENTS.read_text() == package.render_requirements(), (
        "infra/requirements.txt is stale (uv.lock changed): regenerate it with `make requirements`"
    )


def test_requirements_pin_every_runtime_dependency_with_hashes() -> None:
    project = tomllib.loads((sls.ROOT / "pyproject.toml").read_text())["project"]
    text = REQUIREMENTS.read_text()
    entries = _entries(text)
    for name, requirement in entries.items():
        (specifier,) = requirement.specifier
        assert specifier.operator == "==", name
    for line in package.for_lambda(text).splitlines():
        assert "--hash=sha256:" in line, line
    for dependency in project["dependencies"]:
        requirement = Requirement(dependency)
        name = canonicalize_name(requirement.name)
        assert name in entries, f"{name} is not pinned in infra/requirements.txt"
        (pin,) = entries[name].specifier
        assert requirement.specifier.contains(pin.version), f"{name}=={pin.version} vs {dependency}"
    # Only the runtime closure: nothing from the local or dev extras.
    assert not {"standardwebhooks", "uvicorn", "pytest", "ruff"} & set(entries)


def test_markers_are_evaluated_for_lambda_not_for_this_machine() -> None:
    exported = (
        "a==1.0 ; sys_platform == 'win32' \\\n    --hash=sha256:aa\n"
        "b==2.0 ; python_full_version >= '3.12' and platform_machine == 'x86_64' \\\n"
        "    --hash=sha256:bb \\\n    --hash=sha256:cc\n    # via paygate\n"
        "c==3.0 ; python_full_version < '3.12' \\\n    --hash=sha256:dd\n"
    )
    assert package.for_lambda(exported) == "b==2.0 --hash=sha256:bb --hash=sha256:cc\n"


def test_the_runtime_dependencies_do_not_include_demo_or_test_tools() -> None:
    """standardwebhooks verifies signatures in the demo receiver and the tests only."""
    project = tomllib.loads((sls.ROOT / "pyproject.toml").read_text())["project"]
    runtime = {canonicalize_name(Requirement(d).name) for d in project["dependencies"]}
    assert "standardwebhooks" not in runtime
    for path in [*(sls.ROOT / "shared").rglob("*.py"), *(sls.ROOT / "functions").rglob("*.py")]:
        assert "standardwebhooks" not in path.read_text(), path


def test_no_function_imports_boto3_at_cold_start() -> None:
    """boto3 + botocore are ~0.5 s of import: only the settlement report's S3 calls (and the
    SSM read when PAYGATE_SECRETS=ssm) load them, on first use."""
    modules = [sls.module_name(function) for function in sls.functions()]
    check = (
        "import importlib, json, sys\n"
        "for m in sys.argv[1:]: importlib.import_module(m)\n"
        "print(json.dumps(sorted(n for n in sys.modules if n.split('.')[0] in "
        "('boto3', 'botocore', 's3transfer'))))"
    )
    result = subprocess.run(
        [sys.executable, "-c", check, *modules],
        capture_output=True,
        text=True,
        cwd=sls.ROOT,
        check=True,
    )
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []
