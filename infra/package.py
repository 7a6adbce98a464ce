"""Build the Lambda artifact `infra/.build/paygate.zip`, reproducibly; or refresh the pins.

    python infra/package.py                 # wheels for Lambda (python3.12, x86_64) + sources
    python infra/package.py --skip-deps     # sources only (what the tests build)
    python infra/package.py lock            # rewrite infra/requirements.txt from this venv

The zip holds `shared/` and `functions/` (Python files only) and, unless `--skip-deps`, every
package of `infra/requirements.txt` installed from binary wheels for the Lambda platform with
`--no-deps` (the file pins the whole dependency closure, so nothing is resolved at build time).
Entries are sorted and carry a fixed timestamp and mode, and no bytecode is written, so the
same sources and pins always give the same bytes (same SHA-256).
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
INFRA = ROOT / "infra"
REQUIREMENTS = INFRA / "requirements.txt"
DEFAULT_OUT = INFRA / ".build" / "paygate.zip"
SOURCE_PACKAGES = ("shared", "functions")
LAMBDA_PYTHON = "3.12"
LAMBDA_PLATFORMS = ("manylinux2014_x86_64", "manylinux_2_28_x86_64")
FIXED_DATE = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o644 << 16
SKIPPED_PARTS = frozenset({"__pycache__"})
SKIPPED_SUFFIXES = (".pyc", ".pyo")


def source_files(root: Path = ROOT) -> Iterator[tuple[str, Path]]:
    """(name in the zip, file) for every Python file of the packages the functions import."""
    for package in SOURCE_PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            if SKIPPED_PARTS.intersection(path.parts):
                continue
            yield path.relative_to(root).as_posix(), path


def dependency_files(target: Path) -> Iterator[tuple[str, Path]]:
    for path in sorted(target.rglob("*")):
        if path.is_dir() or SKIPPED_PARTS.intersection(path.parts):
            continue
        if path.suffix in SKIPPED_SUFFIXES:
            continue
        yield path.relative_to(target).as_posix(), path


def install_dependencies(target: Path, requirements: Path = REQUIREMENTS) -> None:
    """The pinned wheels for the Lambda runtime, whatever platform this runs on."""
    command = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-deps",
        "--no-compile",
        "--only-binary=:all:",
        "--implementation",
        "cp",
        "--python-version",
        LAMBDA_PYTHON,
        *[arg for platform in LAMBDA_PLATFORMS for arg in ("--platform", platform)],
        "--target",
        str(target),
        "-r",
        str(requirements),
    ]
    subprocess.run(command, check=True)


def write_zip(out: Path, entries: list[tuple[str, Path]]) -> str:
    """Write the entries in name order with fixed metadata; return the zip's SHA-256."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        for name, path in sorted(entries, key=lambda entry: entry[0]):
            info = zipfile.ZipInfo(name, date_time=FIXED_DATE)
            info.external_attr = FILE_MODE
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes(), compresslevel=9)
    tmp.replace(out)
    return hashlib.sha256(out.read_bytes()).hexdigest()


def build(out: Path = DEFAULT_OUT, skip_deps: bool = False) -> str:
    """Build the artifact at `out`; returns its SHA-256."""
    entries = list(source_files())
    with tempfile.TemporaryDirectory(prefix="paygate-package-") as tmp:
        if not skip_deps:
            target = Path(tmp) / "deps"
            install_dependencies(target)
            taken = {name for name, _ in entries}
            entries += [(n, p) for n, p in dependency_files(target) if n not in taken]
        return write_zip(out, entries)


# --- lock ---------------------------------------------------------------------------------
def _lambda_environment(extra: str = "") -> dict[str, str]:
    # Every value of packaging's `Environment` TypedDict is a str; `evaluate` wants a plain dict.
    env = {key: str(value) for key, value in default_environment().items()}
    env.update(
        python_version=LAMBDA_PYTHON,
        python_full_version=f"{LAMBDA_PYTHON}.0",
        sys_platform="linux",
        platform_system="Linux",
        platform_machine="x86_64",
        os_name="posix",
        implementation_name="cpython",
        platform_python_implementation="CPython",
        extra=extra,
    )
    return env


def _applies(requirement: Requirement, extras: set[str]) -> bool:
    if requirement.marker is None:
        return True
    return any(requirement.marker.evaluate(_lambda_environment(e)) for e in extras | {""})


def runtime_closure(pyproject: Path = ROOT / "pyproject.toml") -> dict[str, str]:
    """{name: installed version} of pyproject's runtime dependencies (no extras), recursively."""
    roots = tomllib.loads(pyproject.read_text())["project"]["dependencies"]
    pins: dict[str, str] = {}
    pending = [r for r in map(Requirement, roots) if _applies(r, set())]
    seen: set[tuple[str, frozenset[str]]] = set()
    while pending:
        requirement = pending.pop()
        name = canonicalize_name(requirement.name)
        key = (name, frozenset(requirement.extras))
        if key in seen:
            continue
        seen.add(key)
        try:
            pins[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            raise SystemExit(f"{name} is not installed here: run `make install` first") from None
        if not requirement.specifier.contains(pins[name], prereleases=True):
            raise SystemExit(f"installed {name}=={pins[name]} does not satisfy {requirement}")
        for child in metadata.requires(name) or []:
            parsed = Requirement(child)
            if _applies(parsed, set(requirement.extras)):
                pending.append(parsed)
    return dict(sorted(pins.items()))


def lock(path: Path = REQUIREMENTS) -> None:
    lines = [
        "# The whole runtime dependency closure of paygate, pinned (generated by",
        "# `python infra/package.py lock` from the dev venv; markers evaluated for Lambda",
        f"# python{LAMBDA_PYTHON} x86_64). `python infra/package.py` installs exactly these,",
        "# with --no-deps.",
        *[f"{name}=={version}" for name, version in runtime_closure().items()],
    ]
    path.write_text("\n".join(lines) + "\n")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", nargs="?", choices=("build", "lock"), default="build")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--skip-deps", action="store_true", help="sources only, no wheels")
    args = parser.parse_args(argv)
    if args.command == "lock":
        lock()
        print(f"wrote {REQUIREMENTS.relative_to(ROOT)}")
        return
    digest = build(args.out, args.skip_deps)
    size = args.out.stat().st_size
    print(f"{args.out} {size} bytes sha256={digest}")


if __name__ == "__main__":
    main()
