"""smgov installs and checks without a C compiler (issue 18.1).

A fresh virtual environment (no system site packages), ``CC=false`` and a ``PATH`` holding only
the environment's own ``bin``: ``pip install --no-cache-dir`` of the source tree (no extras) from
the package index pip is configured with must succeed, and the installed ``smgov check`` must run
from outside the repository. The control: in the same environment, installing the ``durable``
extra must fail, because durable-rules is published only as C source. That proves the
environment really has no usable compiler, so the first half proves that nothing smgov needs
by default compiles C. (``--no-cache-dir``: a wheel built earlier on this machine would
otherwise hide the compiler.) What it does not prove: that every dependency has a wheel for
every platform; it proves it for the one running the suite (CI's).
"""

from __future__ import annotations

import os
import subprocess
import venv
from pathlib import Path

import pytest

from tests.helpers import ROOT


def _env(bin_dir: Path) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if k.startswith(("PIP_", "HOME", "LANG", "SSL_", "TMP"))}
    return {**keep, "PATH": str(bin_dir), "CC": "false", "CXX": "false", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}


def _pip(python: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    command = [str(python), "-m", "pip", "install", "--quiet", "--no-cache-dir", "--no-compile", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=600, check=False)


@pytest.fixture(scope="module")
def fresh(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    try:
        import ensurepip  # noqa: F401
    except ImportError:  # pragma: no cover - a Python built without it
        pytest.skip("this Python has no ensurepip: cannot build a fresh virtual environment")
    where = tmp_path_factory.mktemp("fresh") / "venv"
    venv.create(where, with_pip=True, system_site_packages=False)
    return where, _env(where / "bin")


def test_smgov_installs_and_checks_without_a_c_compiler(fresh, tmp_path: Path) -> None:
    where, env = fresh
    installed = _pip(where / "bin" / "python", env, str(ROOT))
    assert installed.returncode == 0, installed.stderr[-3000:]
    result = subprocess.run(
        [str(where / "bin" / "smgov"), "check", str(ROOT / "examples" / "automotive"), "--as-of", "2026-10-01"],
        env=env,
        cwd=tmp_path,  # outside the repository: the built-in pack comes from the installed package
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 1, result.stderr  # the example has high findings
    assert "findings (" in result.stdout
    durable = subprocess.run(
        [str(where / "bin" / "smgov"), "check", str(ROOT / "examples" / "automotive"), "--engine", "durable"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert durable.returncode == 2 and "pip install 'smgov[durable]'" in durable.stderr
    assert "Traceback" not in durable.stderr


def test_the_durable_extra_needs_the_compiler_this_environment_lacks(fresh) -> None:
    """The control: without it, the test above could pass on a machine where CC=false changes nothing."""
    where, env = fresh
    attempt = _pip(where / "bin" / "python", env, "durable-rules==2.0.28")
    assert attempt.returncode != 0
    assert "durable" in attempt.stderr.lower()


def test_the_test_extra_installs_durable_so_ci_runs_the_cross_checks() -> None:
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert not any(d.startswith("durable-rules") for d in project["dependencies"])
    durable = project["optional-dependencies"]["durable"]
    assert set(durable) <= set(project["optional-dependencies"]["test"])
