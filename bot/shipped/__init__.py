"""What orderbot ships besides its code: the example rules and the Slack app manifest.

The sources are the repository's top-level ``rules/`` and ``manifest.yaml``. Building a wheel
copies them into this package (``setup.py``; the sdist carries them through ``MANIFEST.in``),
so that an orderbot installed with ``pip install`` has them wherever it runs. They are read
with ``importlib.resources``; an editable install (``pip install -e``) has no copy and reads
the checkout's own files, so that editing ``rules/`` there needs no reinstall.
"""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

MANIFEST = "manifest.yaml"
RULES = "rules"


class ShippedFilesMissing(RuntimeError):
    """This orderbot was installed without its example rules and manifest."""


def _root() -> Traversable:
    packaged = files(__name__)
    if packaged.joinpath(MANIFEST).is_file():
        return packaged  # installed from a wheel or an sdist
    checkout = Path(__file__).resolve().parents[2]
    if (checkout / MANIFEST).is_file() and (checkout / RULES).is_dir():
        return checkout  # an editable install: the checkout is the source
    raise ShippedFilesMissing(
        "this orderbot was installed without its example rules and Slack manifest"
        " (bot/shipped is empty); reinstall it from a wheel or an sdist built by"
        " `python -m build`"
    )


def manifest() -> str:
    """The Slack app manifest (``orderbot manifest``)."""
    return _root().joinpath(MANIFEST).read_text(encoding="utf-8")


def example_rules() -> dict[str, str]:
    """The example rules files, by file name, in name order (``orderbot rules init``)."""
    folder = _root().joinpath(RULES)
    found = {f.name: f for f in folder.iterdir() if f.name.endswith(".yaml") and f.is_file()}
    return {name: found[name].read_text(encoding="utf-8") for name in sorted(found)}


def rules_folder() -> Path:
    """The example rules as a folder on disk, for ``load_rules`` (``orderbot demo``).

    A wheel installs them as plain files, so this is where they are; ``ShippedFilesMissing``
    if the package's files are not on the file system (an install that zipped them)."""
    folder = _root().joinpath(RULES)
    if not isinstance(folder, Path):
        raise ShippedFilesMissing(
            f"the example rules are inside {folder} and not on disk; give the demo a rules"
            " folder with --rules (orderbot rules init writes one)"
        )
    return folder
