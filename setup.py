"""Build hook: ship the top-level ``rules/`` and ``manifest.yaml`` inside the package.

Everything else about the build is in pyproject.toml. The two stay where people look for
them (the repository's top level, the Docker image's /app/rules); a wheel gets a copy in
``bot/shipped/`` so that an installed orderbot has them (``bot.shipped`` reads them). The
sdist carries the sources through MANIFEST.in, so a wheel built from it gets them too.
An editable install copies nothing: ``bot.shipped`` then reads the checkout itself.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
#: Top-level sources -> where they go inside the built package.
SHIPPED = {"manifest.yaml": "bot/shipped/manifest.yaml", "rules": "bot/shipped/rules"}


class BuildWithShippedFiles(build_py):
    """``build_py`` that also copies the shipped files into the build."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return
        for source, target in SHIPPED.items():
            origin, destination = ROOT / source, Path(self.build_lib) / target
            if not origin.exists():
                raise SystemExit(f"setup.py: {origin} is missing; it is shipped in the package")
            if origin.is_dir():
                destination.mkdir(parents=True, exist_ok=True)
                for item in sorted(origin.glob("*.yaml")):
                    shutil.copyfile(item, destination / item.name)
            else:
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(origin, destination)

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        outputs = list(super().get_outputs(include_bytecode))
        if not self.editable_mode:
            outputs += [str(p) for p in Path(self.build_lib, "bot", "shipped").rglob("*.yaml")]
        return outputs


setup(cmdclass={"build_py": BuildWithShippedFiles})
