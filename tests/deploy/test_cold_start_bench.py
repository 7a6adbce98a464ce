"""B5 of `make bench`: the import of a function module, timed from an unpacked artifact."""

from __future__ import annotations

import zipfile
from pathlib import Path

from benchmarks.cold_start import function_modules, measure, strip_bytecode
from infra import package
from tests.deploy import serverless_config as sls


def test_b5_times_every_handler_module_from_the_artifact(tmp_path: Path) -> None:
    assert function_modules() == sorted({sls.module_name(f) for f in sls.functions()})
    out = tmp_path / "paygate.zip"
    package.build(out, skip_deps=True)
    root = tmp_path / "task"
    with zipfile.ZipFile(out) as archive:
        archive.extractall(root)
    assert list(root.rglob("*.pyc"))
    timed = measure(root, "functions.sweeper.app", runs=1)
    assert timed["median_ms"] > 0 and timed["boto3_imported"] is False
    strip_bytecode(root)
    assert not list(root.rglob("*.pyc"))
    assert measure(root, "functions.sweeper.app", runs=1)["median_ms"] > 0
    assert not list(root.rglob("*.pyc")), "a timed import must not write bytecode"
