"""CI's packaging job: orderbot must work as people install it, not only from the checkout.

1. Builds the sdist, and the wheel from the sdist (what ``pip install orderbot-*.tar.gz``
   does), and a wheel from exactly the files the Dockerfile's build stage copies (what
   ``docker build`` installs). Each must carry the example rules and the Slack manifest,
   byte for byte the top-level sources.
2. Installs the wheel into a fresh virtual environment outside the checkout and, from another
   directory with none of the checkout's variables, runs what a new user runs first:
   ``orderbot --help``, ``manifest``, ``rules init``, ``rules check`` and a piped ``demo``.

Prints what it ran and what it saw (the transcript); exits non-zero at the first failure.
Run it from the checkout with the CI venv's python: ``python .ci/packaging.py``.
"""

from __future__ import annotations

import fnmatch
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import venv
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RULES = sorted(p.name for p in (ROOT / "rules").glob("*.yaml"))
SHIPPED = {
    "bot/shipped/manifest.yaml": ROOT / "manifest.yaml",
    **{f"bot/shipped/rules/{name}": ROOT / "rules" / name for name in RULES},
}
SDIST_NEEDS = ["setup.py", "MANIFEST.in", "pyproject.toml", "manifest.yaml"] + [
    f"rules/{name}" for name in RULES
]


def fail(message: str) -> None:
    print(f"packaging: FAILED: {message}", flush=True)
    sys.exit(1)


def run(command: list[str]) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        fail(f"{' '.join(command)} exited {done.returncode}:\n{done.stdout}{done.stderr}")
    return done


def build(source: Path, outdir: Path, *flags: str) -> None:
    run([sys.executable, "-m", "build", "--outdir", str(outdir), *flags, str(source)])


def check_wheel(wheel: Path, what: str) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        for inside, source in SHIPPED.items():
            if inside not in names:
                fail(f"{what} {wheel.name} has no {inside}")
            if archive.read(inside) != source.read_bytes():
                fail(f"{what} {wheel.name}: {inside} differs from {source.relative_to(ROOT)}")
    print(f"ok   {what} {wheel.name} carries {len(SHIPPED)} shipped files", flush=True)


def check_sdist(sdist: Path) -> None:
    with tarfile.open(sdist) as archive:
        top = sdist.name.removesuffix(".tar.gz")
        names = {name.removeprefix(f"{top}/") for name in archive.getnames()}
    missing = [name for name in SDIST_NEEDS if name not in names]
    if missing:
        fail(f"sdist {sdist.name} lacks {', '.join(missing)}")
    print(f"ok   sdist {sdist.name} carries {', '.join(SDIST_NEEDS)}", flush=True)


def docker_context(target: Path) -> Path:
    """The files the Dockerfile's build stage copies, laid out as in its WORKDIR."""
    lines = (ROOT / "Dockerfile").read_text().splitlines()
    ignored = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]

    def kept(path: Path) -> bool:
        """Docker's rules, as far as this .dockerignore uses them: a pattern matches the path
        or a folder it is in; ``**/`` matches at any depth."""
        parts = path.relative_to(ROOT).parts
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        for pattern in ignored:
            if pattern.startswith("**/"):
                if any(fnmatch.fnmatch(part, pattern[3:]) for part in parts):
                    return False
            elif any(fnmatch.fnmatch(prefix, pattern) for prefix in prefixes):
                return False
        return True

    froms = [i for i, line in enumerate(lines) if line.startswith("FROM ")]
    stage = lines[froms[0] + 1 : froms[1]]
    target.mkdir(parents=True)
    for line in stage:
        if not line.startswith("COPY ") or "--from" in line:
            continue
        *sources, destination = line.split()[1:]
        for source in sources:
            origin = ROOT / source
            into = target / destination if destination not in ("./", ".") else target
            if origin.is_dir():
                for item in origin.rglob("*"):
                    if item.is_file() and kept(item):
                        copy = into / item.relative_to(origin)
                        copy.parent.mkdir(parents=True, exist_ok=True)
                        shutil.copyfile(item, copy)
            elif kept(origin):
                into.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(origin, into / origin.name)
    return target


def transcript(command: str, cwd: Path, env: dict[str, str]) -> str:
    print(f"$ {command}", flush=True)
    done = subprocess.run(
        command,
        shell=True,  # the commands are this file's own, typed as a user types them
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        executable="/bin/bash",
    )
    print((done.stdout + done.stderr).rstrip(), flush=True)
    if done.returncode != 0:
        fail(f"{command!r} exited {done.returncode}")
    return done.stdout


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="orderbot-packaging-"))
    try:
        dist = work / "dist"
        build(ROOT, dist)  # the sdist, then the wheel built from it
        (sdist,) = dist.glob("*.tar.gz")
        (wheel,) = dist.glob("*.whl")
        check_sdist(sdist)
        check_wheel(wheel, "wheel built from the sdist")
        context = docker_context(work / "docker-context")
        build(context, work / "docker-dist", "--wheel")
        (docker_wheel,) = (work / "docker-dist").glob("*.whl")
        check_wheel(docker_wheel, "wheel built from the Docker build context")

        env_dir = work / "venv"
        venv.create(env_dir, with_pip=True)
        python = env_dir / "bin" / "python"
        run([str(python), "-m", "pip", "install", "--quiet", "--upgrade", "pip"])
        run([str(python), "-m", "pip", "install", "--quiet", str(wheel)])
        print(f"ok   installed {wheel.name} into a fresh venv at {env_dir}", flush=True)

        home = work / "home"
        home.mkdir()
        env = {
            "PATH": f"{env_dir / 'bin'}{os.pathsep}/usr/bin{os.pathsep}/bin",
            "HOME": str(home),
            "LANG": os.environ.get("LANG", "C.UTF-8"),
        }
        print("\n--- as a new user, from another directory ---", flush=True)
        transcript("orderbot --help", home, env)
        shown = transcript("orderbot manifest", home, env)
        if shown != (ROOT / "manifest.yaml").read_text():
            fail("orderbot manifest does not print manifest.yaml")
        transcript("orderbot rules init", home, env)
        for name in RULES:
            if (home / "rules" / name).read_bytes() != (ROOT / "rules" / name).read_bytes():
                fail(f"orderbot rules init wrote a different rules/{name}")
        transcript("orderbot rules check", home, env)
        demo = transcript("printf '/order 20-RD12H\\n' | orderbot demo", home, env)
        if "Order 20-RD12H" not in demo or "20-RD12H-31" not in demo:
            fail("the piped demo did not show order 20-RD12H")
        print("\npackaging: ok", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
