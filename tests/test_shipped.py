"""``bot.shipped``: the example rules and the manifest, as an installed orderbot reads them."""

from __future__ import annotations

from pathlib import Path

import pytest

import bot.shipped
from bot.shipped import ShippedFilesMissing, example_rules, manifest, rules_folder
from bot.watch.rules_loading import load_rules

ROOT = Path(__file__).resolve().parent.parent


def test_an_editable_install_reads_the_checkout() -> None:
    assert manifest() == (ROOT / "manifest.yaml").read_text()
    assert example_rules() == {p.name: p.read_text() for p in sorted(ROOT.glob("rules/*.yaml"))}
    assert rules_folder() == ROOT / "rules"
    assert len(load_rules(rules_folder())) == 4


def test_an_installed_package_reads_its_own_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "rules").mkdir()
    (tmp_path / "manifest.yaml").write_text("display_information: {name: copy}\n")
    (tmp_path / "rules" / "a.yaml").write_text("rules: []\n")
    (tmp_path / "rules" / "notes.txt").write_text("not a rules file")
    monkeypatch.setattr(bot.shipped, "files", lambda _name: tmp_path)
    assert manifest() == "display_information: {name: copy}\n"
    assert example_rules() == {"a.yaml": "rules: []\n"}
    assert rules_folder() == tmp_path / "rules"


def test_an_install_without_them_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bot.shipped, "files", lambda _name: tmp_path)
    monkeypatch.setattr(bot.shipped, "__file__", str(tmp_path / "a" / "b" / "__init__.py"))
    with pytest.raises(ShippedFilesMissing, match="reinstall it"):
        manifest()
