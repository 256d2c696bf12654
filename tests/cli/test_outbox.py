"""``orderbot outbox list / retry / drop`` as real processes, on a database made by real
``poll --once`` runs over the Ingram emulator and the Slack stand-in: a dead letter is
listed with why and what to do, retried once the channel exists (and posted exactly once),
or dropped; every retry and drop is audited; bad input is one line and a non-zero exit."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest_asyncio

from bot.sandbox.ingram import RunningSandbox
from bot.sandbox.slack import SlackStandIn
from bot.sandbox.world import FAST_RETRY, SandboxWorld
from bot.store import audit_log, open_db
from tests.cli.test_cli import orderbot, sandbox_env
from tests.cli.test_poll import poll
from tests.metrics.helpers import first_poll, wait_for
from tests.test_readme import _mask_times, text_block_after

World = tuple[RunningSandbox, SlackStandIn, dict[str, str]]


@pytest_asyncio.fixture
async def dead(world: World) -> World:
    """Two polls (``poll --once``) over ``world`` (``conftest``): the second's credit-hold alert
    is a dead letter (#credit-alerts does not exist), its release alert is delivered to
    #order-alerts."""
    ingram, slack, env = world
    assert (await poll(env)).status == 0  # the baseline
    slack.missing_channels.add("credit-alerts")
    ingram.state.set_suborder("20-RD12H-21", statuscode="C", holdreasoncode="C3")
    ingram.state.set_suborder("20-SH001-11", statuscode="", holdreasoncode="")
    second = await poll(env)
    assert second.status == 0, second.err
    assert "1 dead letter" in second.out, second.out
    return world


def _rows(env: dict[str, str]) -> dict[str, tuple[int, str]]:
    """The outbox rows by channel: (id, state)."""
    db = open_db(env["ORDERBOT_DB"])
    return {r[0]: (r[1], r[2]) for r in db.execute("SELECT channel, id, status FROM outbox")}


async def test_list_shows_the_dead_letter_why_and_what_to_do(dead: World) -> None:
    _ingram, _slack, env = dead
    rows = _rows(env)
    dead_id, _ = rows["#credit-alerts"]
    assert rows["#order-alerts"][1] == "delivered"
    run = await orderbot("outbox", "list", env=env)
    assert run.status == 0, run.err
    head, row, *notes = run.out.splitlines()
    assert head.split() == [
        "ID", "STATE", "QUEUED", "RULE", "CHANNEL", "KIND", "TRIES", "ORDERS", "LAST", "ERROR"
    ]  # fmt: skip
    assert row.split()[:2] == [str(dead_id), "dead"]
    assert "credit-holds" in row and "#credit-alerts" in row and "channel_not_found" in row
    assert len(notes) == 2  # one row: the delivered one is not listed
    assert notes[0].startswith(f"#{dead_id}: Slack has no channel #credit-alerts")
    assert f"`orderbot outbox retry {dead_id}` (or `retry --all`)" in notes[-1]

    listed = json.loads((await orderbot("outbox", "list", "--dead", "--json", env=env)).out)
    (only,) = listed
    assert (only["id"], only["state"], only["rule"], only["channel"]) == (
        dead_id,
        "dead",
        "credit-holds",
        "#credit-alerts",
    )
    assert only["ordernumbers"] == ["20-RD12H"]
    assert only["last_error"].startswith("channel_not_found")
    assert only["may_be_in_slack"] is False
    assert "invite the bot" in only["advice"]


async def test_a_retry_after_the_channel_exists_posts_it_exactly_once(dead: World) -> None:
    _ingram, slack, env = dead
    dead_id, _ = _rows(env)["#credit-alerts"]
    slack.missing_channels.discard("credit-alerts")
    run = await orderbot("outbox", "retry", "--all", env=env)
    assert run.status == 0, run.err
    assert f"1 dead letter pending again (#{dead_id} for #credit-alerts)" in run.out
    assert _rows(env)["#credit-alerts"] == (dead_id, "pending")

    delivered = await poll(env)  # a serve would post it within seconds; poll --once does too
    assert delivered.status == 0, delivered.err
    assert _rows(env)["#credit-alerts"] == (dead_id, "delivered")
    posts = [m for m in slack.messages if m.kind == "post" and m.channel_name == "credit-alerts"]
    assert len(posts) == 1 and "20-RD12H-21" in posts[0].text
    assert (await poll(env)).status == 0
    assert len([m for m in slack.messages if m.channel_name == "credit-alerts"]) == 1

    (trail,) = audit_log(open_db(env["ORDERBOT_DB"]))
    assert (trail.action, trail.outcome, trail.user_id) == ("outbox_retry", "pending again", "cli")
    assert trail.ordernumber == "20-RD12H" and f"outbox #{dead_id}" in trail.message
    nothing = await orderbot("outbox", "retry", "--all", env=env)
    assert (nothing.status, nothing.out.strip()) == (0, "no dead letters: nothing to retry")


async def test_a_drop_gives_it_up_for_good_and_is_audited(dead: World) -> None:
    _ingram, slack, env = dead
    dead_id, _ = _rows(env)["#credit-alerts"]
    run = await orderbot("outbox", "drop", str(dead_id), env=env)
    assert run.status == 0, run.err
    assert f"dropped 1 dead letter (#{dead_id} for #credit-alerts)" in run.out
    assert (await orderbot("outbox", "list", "--dead", env=env)).out.strip() == "no dead letters"
    assert (await orderbot("outbox", "list", env=env)).out.strip() == (
        "the outbox is empty: every alert was delivered"
    )
    slack.missing_channels.discard("credit-alerts")
    assert (await poll(env)).status == 0
    assert not [m for m in slack.messages if m.channel_name == "credit-alerts"]
    (trail,) = audit_log(open_db(env["ORDERBOT_DB"]))
    assert (trail.action, trail.outcome) == ("outbox_drop", "dropped")


async def test_bad_ids_are_one_line_and_change_nothing(dead: World, tmp_path: Path) -> None:
    _ingram, _slack, env = dead
    dead_id, _ = _rows(env)["#credit-alerts"]
    delivered_id, _ = _rows(env)["#order-alerts"]
    cases = [
        (["retry", "999"], 1, "orderbot: there is no outbox message #999;"),
        (
            ["drop", str(dead_id), str(delivered_id)],
            1,
            f"orderbot: outbox message #{delivered_id} is delivered, not a dead letter: only"
            " dead letters can be dropped",
        ),
        (["retry", "abc"], 2, "orderbot: 'abc' is not an outbox id"),
        (["retry"], 2, "orderbot: give the ids of the dead letters to retry, or --all"),
        (["retry", "--all", str(dead_id)], 2, "orderbot: give the ids"),
        (["list", "--limit", "0"], 2, "orderbot: --limit must be 1 or more"),
    ]
    for args, status, line in cases:
        run = await orderbot("outbox", *args, env=env)
        assert run.status == status, (args, run.err)
        assert run.err.startswith(line), (args, run.err)
        assert len(run.err.strip().splitlines()) == 1 and "Traceback" not in run.err
    assert _rows(env)["#credit-alerts"] == (dead_id, "dead")  # all or none
    assert audit_log(open_db(env["ORDERBOT_DB"])) == []

    missing = {**env, "ORDERBOT_DB": str(tmp_path / "nowhere.db")}
    run = await orderbot("outbox", "list", env=missing)
    assert run.status == 2
    assert run.err.strip() == (
        f"orderbot: no database at {tmp_path / 'nowhere.db'}; set ORDERBOT_DB to the database"
        " orderbot serve or poll writes"
    )


async def test_the_readme_shows_what_list_prints(dead: World) -> None:
    _ingram, _slack, env = dead
    run = await orderbot("outbox", "list", env=env)
    shown = text_block_after("**Dead letters**")
    assert _mask_times(run.out.strip()) == _mask_times(textwrap.dedent(shown).strip())


async def test_a_running_serve_posts_a_retried_dead_letter_within_seconds(tmp_path: Path) -> None:
    db = tmp_path / "serve.db"
    async with SandboxWorld(retry=FAST_RETRY, poll_interval=3600, db_path=db) as world:
        await first_poll(world)
        world.slack.missing_channels.add("credit-alerts")
        world.state.set_suborder("20-RD12H-21", statuscode="C", holdreasoncode="C3")
        await world.bot.poller.poll_once()
        world.bot.notifier.wake()
        await wait_for(world, lambda counts: counts["dead"] == 1)
        world.slack.missing_channels.discard("credit-alerts")

        env = sandbox_env(world.ingram.url, tmp_path, ORDERBOT_DB=str(db))
        run = await orderbot("outbox", "retry", "--all", env=env)  # while serve holds the lease
        assert run.status == 0, run.err
        posted = await world.slack.wait_for(lambda m: "20-RD12H-21" in m.text, timeout=15)
        assert posted.channel_name == "credit-alerts"
        await wait_for(world, lambda counts: counts["dead"] == 0 and counts["delivered"] == 1)
        assert [m.kind for m in world.slack.messages if m.channel_name == "credit-alerts"] == [
            "post"
        ]
