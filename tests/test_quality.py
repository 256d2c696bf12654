"""The repository's own checks, so that the one test command covers them: ruff, hadolint,
and the promises the Dockerfile makes."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: What ruff checks: the package, its tests and benchmarks, the build hook and CI's scripts.
CHECKED = ("bot", "tests", "bench", "setup.py", ".ci/packaging.py")


def _tool(name: str) -> str:
    found = shutil.which(name) or str(Path(sys.executable).parent / name)
    if not Path(found).exists():
        pytest.fail(f"{name} is not installed; run pip install -e '.[test]'")
    return found


def test_ruff_check_is_clean() -> None:
    run = subprocess.run(
        [_tool("ruff"), "check", *CHECKED], cwd=ROOT, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stdout + run.stderr


def test_ruff_format_is_clean() -> None:
    run = subprocess.run(
        [_tool("ruff"), "format", "--check", *CHECKED],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stdout + run.stderr


def test_hadolint_passes_the_dockerfile() -> None:
    run = subprocess.run(
        [_tool("hadolint"), "Dockerfile"], cwd=ROOT, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stdout + run.stderr


def test_the_dockerfile_keeps_its_promises() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.\d+-slim\b", text, re.M), "an official Python slim base"
    assert re.search(r"^USER 10001", text, re.M), "runs as a non-root user"
    assert 'VOLUME ["/data"]' in text and "ORDERBOT_DB=/data/" in text
    assert 'CMD ["orderbot", "serve"]' in text
    assert re.search(r'^HEALTHCHECK .*CMD \["orderbot", "health"\]', text, re.M)
    for source in re.findall(r"^COPY (?!--from)(.+) \S+$", text, re.M):
        for path in source.split():
            assert (ROOT / path).exists(), f"COPY {path}: no such file"


def test_the_docker_build_has_what_the_package_ships() -> None:
    """setup.py copies rules/ and manifest.yaml into the wheel: the build stage must have them
    (CI's packaging job builds a wheel from exactly these files)."""
    text = (ROOT / "Dockerfile").read_text()
    build_stage = text.split("\nFROM ")[1]
    copied = {p for line in re.findall(r"^COPY (.+) \S+$", build_stage, re.M) for p in line.split()}
    assert {"pyproject.toml", "setup.py", "MANIFEST.in", "manifest.yaml", "rules", "bot"} <= copied
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert not copied & set(ignored)


def test_the_image_bakes_no_rules_for_serve() -> None:
    """A container started without the operator's rules must stop, not post to the examples'
    channels: the image neither copies rules/ into /app nor points ORDERBOT_RULES anywhere."""
    text = (ROOT / "Dockerfile").read_text()
    final_stage = text.split("\nFROM ")[-1]
    assert not re.search(r"^COPY (?!--from).*\brules\b", final_stage, re.M)
    assert "ORDERBOT_RULES" not in re.sub(r"#.*", "", final_stage)
    assert re.search(r"^WORKDIR /app$", final_stage, re.M), "serve reads ./rules = /app/rules"
