"""The rules in force and their reloading: real files, the real watching task."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from bot.clock import ManualClock
from bot.watch import rules_reload
from bot.watch.rules import RuleSet
from bot.watch.rules_loading import RulesError, check_rules
from bot.watch.rules_reload import RulesInForce, fingerprint
from tests.watch.test_poller import START, until

CREDIT = """\
rules:
  - name: credit
    on: hold_placed
    match:
      holdreasoncode: [C3]
    channel: "#credit-alerts"
"""
SALES = CREDIT.replace("credit", "sales").replace("[C3]", "[SH]")


@pytest_asyncio.fixture
async def folder(tmp_path: Path) -> AsyncIterator[Path]:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "credit.yaml").write_text(CREDIT, encoding="utf-8")
    yield rules


async def watching(folder: Path, clock: ManualClock, seen: list[RuleSet]) -> RulesInForce:
    rules = await RulesInForce.load(folder, clock=clock, check_interval=0.02, on_reload=seen.append)
    rules.start()
    return rules


async def test_a_new_file_is_loaded_and_logged(
    folder: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "orderbot.rules")
    clock, seen = ManualClock(START), []
    rules = await watching(folder, clock, seen)
    try:
        assert (rules.count, rules.source, rules.loaded_at) == (1, f"{folder}/", START)
        clock.advance(60)
        (folder / "sales.yaml").write_text(SALES, encoding="utf-8")
        await until(lambda: rules.count == 2)
        assert [r.name for r in seen[-1]] == ["credit", "sales"]
        assert rules.loaded_at == clock() and rules.refusal is None
        assert f"rules reloaded: 2 rules from {folder}/ (the files changed)" in caplog.messages
    finally:
        await rules.stop()
    assert not rules.running


async def test_invalid_rules_are_refused_and_the_good_ones_stay(
    folder: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "orderbot.rules")
    clock, seen = ManualClock(START), []
    rules = await watching(folder, clock, seen)
    try:
        before = rules.ruleset
        clock.advance(60)
        (folder / "credit.yaml").write_text(CREDIT.replace("[C3]", "[C9]"), encoding="utf-8")
        await until(lambda: rules.refusal is not None)
        assert rules.ruleset is before and rules.loaded_at == START and seen == []
        assert rules.refusal.at == clock()
        assert list(rules.refusal.problems) == check_rules(folder)  # what rules check says
        assert f"rules refused: {check_rules(folder)[0]}" in caplog.messages
        refused = [m for m in caplog.messages if m.startswith("rules refused")]
        # Looking again at the same broken files refuses nothing new.
        looked = rules.checks
        await until(lambda: rules.checks >= looked + 3)
        assert [m for m in caplog.messages if m.startswith("rules refused")] == refused

        clock.advance(60)
        (folder / "credit.yaml").write_text(CREDIT.replace("[C3]", "[C4]"), encoding="utf-8")
        await until(lambda: rules.refusal is None)
        assert rules.ruleset.rules[0].match["holdreasoncode"] == frozenset({"C4"})
        assert rules.loaded_at == clock() and len(seen) == 1
    finally:
        await rules.stop()


async def test_sighup_reloads_unchanged_rules_and_a_touch_does_not(
    folder: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "orderbot.rules")
    clock, seen = ManualClock(START), []
    rules = await watching(folder, clock, seen)
    try:
        os.utime(folder / "credit.yaml", (0, 0))  # touched: same contents
        rules.request_reload()
        await until(lambda: rules.reloads == 1)
        assert f"rules reloaded: 1 rules from {folder}/ (SIGHUP)" in caplog.messages
        assert len(seen) == 1 and rules.reloads == 1
    finally:
        await rules.stop()


async def test_a_check_interval_of_0_reloads_only_when_asked(folder: Path) -> None:
    rules = await RulesInForce.load(folder, check_interval=0)
    rules.start()
    try:
        (folder / "sales.yaml").write_text(SALES, encoding="utf-8")
        assert await rules.reload("asked") and rules.count == 2
        (folder / "sales.yaml").unlink()
        rules.request_reload()
        await until(lambda: rules.count == 1)
    finally:
        await rules.stop()


async def test_invalid_rules_at_start_are_a_rules_error(folder: Path) -> None:
    (folder / "credit.yaml").write_text("rules: {}\n", encoding="utf-8")
    with pytest.raises(RulesError):
        await RulesInForce.load(folder)


def test_the_fingerprint_is_the_contents(folder: Path) -> None:
    first = fingerprint(folder)
    os.utime(folder / "credit.yaml", (0, 0))
    assert fingerprint(folder) == first
    (folder / "notes.txt").write_text("not rules")
    assert fingerprint(folder) == first
    (folder / "credit.yaml").write_text(CREDIT + "\n")
    assert fingerprint(folder) != first
    assert fingerprint(folder / "credit.yaml") != fingerprint(folder / "nope.yaml")


async def test_a_file_finished_after_it_was_read_is_loaded_at_the_next_look(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`echo ... > credit.yaml` truncates, then writes: a look between the two reads a broken
    file. The refusal must remember the file as it was read, not as it is a moment later,
    or the finished file would count as refused already and never be loaded."""
    clock, seen = ManualClock(START), []
    rules = await watching(folder, clock, seen)
    real_load = rules_reload.load_rules
    finished = CREDIT.replace("[C3]", "[C4]")

    def read_while_written(path: Path) -> RuleSet:
        (folder / "credit.yaml").write_text(finished, encoding="utf-8")  # the write ends
        raise RulesError([f"{folder}/credit.yaml: empty (still being written)"])

    try:
        monkeypatch.setattr(rules_reload, "load_rules", read_while_written)
        (folder / "credit.yaml").write_text("", encoding="utf-8")  # the truncation
        await until(lambda: rules.refusal is not None)
        monkeypatch.setattr(rules_reload, "load_rules", real_load)
        await until(lambda: rules.refusal is None)
        assert rules.ruleset.rules[0].match["holdreasoncode"] == frozenset({"C4"})
    finally:
        await rules.stop()
