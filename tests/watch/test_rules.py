"""The rules format: loading as written, every validation message, templates, escaping."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.store import SuborderState
from bot.watch.changes import Event
from bot.watch.rules import Rule, render
from bot.watch.rules_loading import RulesError, RulesLoader, check_rules, load_rules
from bot.watch.rules_validation import nearest, template_problems

REPO_RULES = Path(__file__).resolve().parents[2] / "rules"

VALID = """\
rules:
  - name: credit-holds
    on: hold_placed
    match:
      holdreasoncode: [C3, C4, C5, C8, CH, CL, PC, PD]
    channel: "#credit-alerts"
    message: "Credit hold on {subordernumber}: {holdreason}"
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def problems_of(tmp_path: Path, text: str) -> list[str]:
    return check_rules(write(tmp_path, "rules.yaml", text))


def one_problem(tmp_path: Path, text: str) -> str:
    problems = problems_of(tmp_path, text)
    assert len(problems) == 1, problems
    return problems[0]


def rule_yaml(**keys: str) -> str:
    """A rules file with one rule: the valid one, with keys replaced (None-valued removed)."""
    base = {
        "name": "credit-holds",
        "on": "hold_placed",
        "match": "\n      holdreasoncode: [C3, C4]",
        "channel": '"#credit-alerts"',
    }
    base.update(keys)
    lines = [f"    {k}: {v}" for k, v in base.items() if v is not None]
    lines[0] = "  - " + lines[0].lstrip()
    return "rules:\n" + "\n".join(lines) + "\n"


def fields(**kw: str) -> dict[str, str]:
    cur = SuborderState(
        "20-RD12H-11", "20-RD12H", "PO-1", "", kw.pop("statuscode", "C"), "", "C3", ""
    )
    base = Event("hold_placed", cur, None, "20-123456", "UK").fields()
    base.update(kw)
    return base


# --- Loading ---------------------------------------------------------------------------------


def test_valid_file_and_on_as_written(tmp_path: Path) -> None:
    path = write(tmp_path, "credit.yaml", VALID)
    (rule,) = load_rules(path).rules
    assert rule == Rule(
        name="credit-holds",
        events=frozenset({"hold_placed"}),
        match={"holdreasoncode": frozenset({"C3", "C4", "C5", "C8", "CH", "CL", "PC", "PD"})},
        channel="#credit-alerts",
        message="Credit hold on {subordernumber}: {holdreason}",
        source=path,
    )
    assert check_rules(path) == []


def test_loader_reads_on_yes_no_and_numbers_as_written() -> None:
    data = yaml.load(
        "on: yes\noff: n\nnum: 00123\nf: 1e3\nd: 2025-01-01\nt: true\nF: False\n",
        Loader=RulesLoader,  # noqa: S506 - a SafeLoader subclass
    )
    assert data == {
        "on": "yes",
        "off": "n",
        "num": "00123",
        "f": "1e3",
        "d": "2025-01-01",
        "t": True,
        "F": False,
    }
    # The stock SafeLoader is untouched.
    assert yaml.safe_load("on: 1") == {True: 1}


def test_a_rule_whose_key_came_back_as_true_is_accepted(tmp_path: Path) -> None:
    text = rule_yaml(on=None).replace("  - name", "  - True: hold_released\n    name")
    rule = load_rules(write(tmp_path, "r.yaml", text)).rules[0]
    assert rule.events == frozenset({"hold_released"})


def test_list_of_events_and_scalar_coercion(tmp_path: Path) -> None:
    text = rule_yaml(
        on="[hold_placed, hold_changed]",
        match='\n      holdreasoncode: c3\n      customerordernumber: 00123\n      statuscode: ""',
    )
    (rule,) = load_rules(write(tmp_path, "r.yaml", text)).rules
    assert rule.events == frozenset({"hold_placed", "hold_changed"})
    assert rule.match == {
        "holdreasoncode": frozenset({"C3"}),
        "customerordernumber": frozenset({"00123"}),
        "statuscode": frozenset({""}),
    }


def test_folder_loads_sorted_yaml_files(tmp_path: Path) -> None:
    write(tmp_path, "b.yaml", rule_yaml(name="second"))
    write(tmp_path, "a.yaml", rule_yaml(name="first"))
    write(tmp_path, "notes.txt", "not rules")
    ruleset = load_rules(tmp_path)
    assert [r.name for r in ruleset] == ["first", "second"]
    assert [r.source.name for r in ruleset] == ["a.yaml", "b.yaml"]


def test_duplicate_names_across_files(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", rule_yaml())
    write(tmp_path, "b.yaml", rule_yaml())
    (problem,) = check_rules(tmp_path)
    assert problem.startswith(f'{tmp_path / "b.yaml"}: rule "credit-holds": name: duplicate;')
    assert str(tmp_path / "a.yaml") in problem


def test_empty_folder_missing_path_and_empty_file(tmp_path: Path) -> None:
    (folder,) = check_rules(tmp_path)
    assert folder.startswith(f"{tmp_path}: the folder has no *.yaml rules files")
    write(tmp_path, "old.yml", VALID)
    assert "rename them to .yaml" in check_rules(tmp_path)[0]
    (missing,) = check_rules(tmp_path / "nope")
    assert missing.startswith(f"{tmp_path / 'nope'}: no such file or folder")
    assert "ORDERBOT_RULES" in missing
    empty = write(tmp_path, "empty.yaml", "# nothing but a comment\n")
    assert check_rules(empty) == [
        f'{empty}: the file is empty; it needs a "rules:" list'
        " (see the examples in orderbot's rules/ folder)"
    ]
    with pytest.raises(RulesError) as info:
        load_rules(empty)
    assert str(info.value) == check_rules(empty)[0]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("- a\n", 'expected a mapping with a "rules:" list, got a list'),
        ("rule: []\n", 'unknown top-level key "rule" (did you mean "rules"?)'),
        ("rules: {a: 1}\n", "rules: expected a list of rules, got a mapping"),
    ],
)
def test_top_level_problems(tmp_path: Path, text: str, expected: str) -> None:
    assert f"rules.yaml: {expected}" in problems_of(tmp_path, text)[0]


def test_yaml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    text = "rules:\n  - name: x\n    on: [hold_placed\n    channel: '#a'\n"
    problem = one_problem(tmp_path, text)
    assert problem.startswith(f"{tmp_path / 'rules.yaml'}: line 4, column")
    assert "YAML error" in problem


def test_a_key_given_twice_is_an_error(tmp_path: Path) -> None:
    text = rule_yaml() + "    on: hold_released\n"
    assert 'line 7, column 5: YAML error: the key "on" appears twice' in one_problem(tmp_path, text)


# --- Every validation message names the file, the rule and the field --------------------------


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        (
            {"match": "\n      holdreasoncode: [C3, C9]"},
            'rule "credit-holds": match.holdreasoncode: unknown hold reason code "C9"'
            ' (did you mean "C3"?)',
        ),
        (
            {"match": "\n      previous_holdreasoncode: SHH"},
            'rule "credit-holds": match.previous_holdreasoncode: unknown hold reason code "SHH"'
            ' (did you mean "SH"?)',
        ),
        (
            {"match": "\n      statuscode: X"},
            'rule "credit-holds": match.statuscode: unknown order status code "X"'
            " (codes: C, D, E, F, I, O, R, S, V, W)",
        ),
        (
            {"match": "\n      previous_statuscode: SS"},
            'match.previous_statuscode: unknown order status code "SS" (did you mean "S"?)',
        ),
        (
            {"match": "\n      holdcode: C3"},
            'rule "credit-holds": match.holdcode: unknown field "holdcode"'
            ' (did you mean "holdreasoncode"?)',
        ),
        (
            {"match": "\n      event: hold_release"},
            'match.event: unknown event "hold_release" (did you mean "hold_released"?)',
        ),
        (
            {"match": "\n      event: hold_released"},
            "match.event: none of hold_released is among the rule's on: events (hold_placed)",
        ),
        (
            {"match": "\n      ordernumber:"},
            'match.ordernumber: expected a value or a list of values, got nothing (write ""',
        ),
        ({"match": "\n      country: []"}, "match.country: empty list, which matches nothing"),
        ({"match": "\n      country: [[UK]]"}, "match.country: expected a value or a list"),
        ({"match": ""}, 'rule "credit-holds": match: expected field: value pairs'),
        ({"match": "[C3]"}, "match: expected field: value pairs such as holdreasoncode"),
        (
            {"on": "hold_place"},
            'rule "credit-holds": on: unknown event "hold_place" (did you mean "hold_placed"?)',
        ),
        ({"on": "[]"}, 'rule "credit-holds": on: empty list'),
        ({"on": None}, 'rule "credit-holds": on: missing; name the events'),
        ({"on": "{a: b}"}, "on: expected an event or a list of events, got a mapping"),
        (
            {"on": "whatever"},
            'on: unknown event "whatever" (events: hold_placed, hold_released, hold_changed,'
            " status_changed, suborder_added)",
        ),
        ({"name": None}, "rule #1: name: missing; every rule needs a unique name"),
        ({"name": "[a, b]"}, "rule #1: name: expected a name, got a list"),
        ({"channel": None}, 'rule "credit-holds": channel: missing; say where to post'),
        (
            {"channel": "#credit-alerts"},
            'rule "credit-holds": channel: missing; quote the channel name, as in channel:'
            ' "#credit-alerts" (an unquoted # starts a YAML comment)',
        ),
        (
            {"channel": "credit-alerts"},
            'channel: "credit-alerts" is neither a channel name nor an ID; a name starts with'
            ' #, quoted: channel: "#credit-alerts"',
        ),
        (
            {"channel": '"#Credit Alerts"'},
            'channel: "#Credit Alerts" is not a Slack channel name: names are lowercase'
            " letters, digits, hyphens and underscores, at most 80 (did you mean"
            ' "#credit-alerts"?)',
        ),
        ({"channel": '"nope!"'}, 'channel: "nope!" is neither a channel name'),
        ({"chanel": "x"}, 'rule "credit-holds": unknown key "chanel" (did you mean "channel"?)'),
        (
            {"events": "x"},
            'rule "credit-holds": unknown key "events" (a rule has: name, on, match, channel,'
            " message, mention, settle, remind_after, remind_every, hours)",
        ),
        ({"settle": "10"}, 'settle: expected a duration such as 90s, 10m, 4h or 1d, got "10"'),
        ({"remind_after": "4 hours"}, "remind_after: expected a duration such as 90s"),
        ({"remind_after": "0m"}, "remind_after: expected a duration"),
        ({"remind_every": "1d"}, "remind_every: needs remind_after"),
        ({"hours": "office"}, 'hours: expected {days: mon-fri, from: "08:00", to: "18:00"'),
        ({"hours": '{from: "8am", to: "18:00"}'}, 'hours.from: expected a time such as "08:00"'),
        ({"hours": '{from: "08:00"}'}, 'hours.to: missing; write it as "08:00" (quoted)'),
        (
            {"hours": '{from: "08:00", to: "18:00", days: mon-fry}'},
            "hours.days: expected days such as mon-fri",
        ),
        (
            {"hours": '{from: "08:00", to: "18:00", timezone: Europe/Londn}'},
            'hours.timezone: unknown time zone "Europe/Londn" (an IANA name such as'
            ' Europe/London) (did you mean "Europe/London"?)',
        ),
        ({"hours": '{from: "08:00", to: "18:00", tz: UTC}'}, 'hours.tz: unknown key "tz"'),
        ({"message": '""'}, 'rule "credit-holds": message: expected a template such as'),
        (
            {"message": '"Hold {holdreasn}"'},
            'rule "credit-holds": message: placeholder {holdreasn}: unknown field "holdreasn"'
            ' (did you mean "holdreason"?)',
        ),
        (
            {"message": '"Hold {ordernumber.__class__}"'},
            'rule "credit-holds": message: placeholder {ordernumber.__class__}: attribute and'
            " index access are not allowed; use a plain field name such as {ordernumber}",
        ),
        (
            {"message": '"{status[0]}"'},
            "message: placeholder {status[0]}: attribute and index access are not allowed",
        ),
        (
            {"message": '"{status!r}"'},
            "message: placeholder {status!r}: conversions (!r, !s, !a) are not allowed",
        ),
        (
            {"message": '"{status:>30}"'},
            "message: placeholder {status:>30}: format specs (after :) are not allowed",
        ),
        ({"message": '"{} {0}"'}, "message: placeholder {} names no field"),
        (
            {"mention": "alice"},
            'mention: "alice" is not a Slack user ID (U0123ABCD) or user-group ID (S0123ABCD);'
            " names do not notify anyone: copy the member ID",
        ),
        (
            {"mention": '"<@U0123ABCD>"'},
            'mention: "<@U0123ABCD>" is written like a mention; give the ID alone (did you mean'
            ' "U0123ABCD"?)',
        ),
        (
            {"mention": '["<!subteam^S0CREDIT|@credit>"]'},
            'did you mean "S0CREDIT"?',
        ),
        ({"mention": "u0123abcd"}, 'did you mean "U0123ABCD"?'),
        ({"mention": '"@here"'}, 'mention: "@here" would notify everyone in the channel'),
        ({"mention": "C0123456789"}, 'mention: "C0123456789" is a channel ID'),
        ({"mention": "[]"}, "mention: empty list; give a user ID or remove mention:"),
        ({"mention": "{a: b}"}, "mention: expected a Slack user ID (U...) or user-group ID"),
        (
            {"message": '"a { b"'},
            "message: invalid template: expected '}' before end of string (write {{ or }}",
        ),
    ],
)
def test_validation_messages(tmp_path: Path, keys: dict[str, str | None], expected: str) -> None:
    problems = problems_of(tmp_path, rule_yaml(**keys))
    assert problems, "expected a problem"
    prefix = f"{tmp_path / 'rules.yaml'}: rule "
    assert all(p.startswith(prefix) for p in problems), problems
    assert any(expected in p for p in problems), problems


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    text = (
        "rules:\n"
        "  - name: a\n    on: hold_place\n    channel: '#a'\n"
        "  - just a string\n"
        "  - name: b\n    on: hold_placed\n    channel: nope\n    message: '{x}'\n"
    )
    with pytest.raises(RulesError) as info:
        load_rules(write(tmp_path, "r.yaml", text))
    lines = str(info.value).splitlines()
    assert lines == info.value.problems
    assert [line.split(": ")[1] for line in lines] == [
        'rule "a"',
        "rule #2",
        'rule "b"',
        'rule "b"',
    ]


def test_nearest_prefers_a_common_prefix_and_the_first_of_ties() -> None:
    assert nearest("C9", ["AC", "C3", "C4"]) == "C3"
    assert nearest("zz", ["hold_placed"]) is None
    assert nearest("HOLD_PLACED", ["hold_placed"]) == "hold_placed"


def test_template_problems() -> None:
    assert template_problems("Credit hold on {subordernumber}: {holdreason} {{literal}}") == []
    assert template_problems("{ordernumber.__class__.__mro__}")
    assert template_problems("{country.upper}")


# --- Matching and rendering ------------------------------------------------------------------


def test_matching(tmp_path: Path) -> None:
    text = VALID + rule_yaml(
        name="releases", on="hold_released", match=None, channel='"#order-alerts"'
    ).removeprefix("rules:\n")
    ruleset = load_rules(write(tmp_path, "r.yaml", text))
    assert [r.name for r in ruleset.matching(fields())] == ["credit-holds"]
    assert ruleset.matching(fields(holdreasoncode="SH")) == []
    assert [r.name for r in ruleset.matching(fields(event="hold_released"))] == ["releases"]
    assert ruleset.matching(fields(event="status_changed")) == []


def test_render_escapes_every_value_before_substitution() -> None:
    rule = Rule(
        "r",
        frozenset({"hold_placed"}),
        {},
        "#a",
        "*Hold* on {subordernumber}: {holdreason} (PO {customerordernumber})",
    )
    text = render(
        rule,
        fields(
            holdreason="<!channel> call <http://evil.example|AR> & co", customerordernumber="<@U1>"
        ),
    )
    assert text == (
        "*Hold* on 20-RD12H-11: &lt;!channel&gt; call &lt;http://evil.example|AR&gt; &amp; co"
        " (PO &lt;@U1&gt;)"
    )
    assert "<" not in text.replace("&lt;", "")


def test_mentions_notify_the_rules_people_and_nobody_ingram_names(tmp_path: Path) -> None:
    text = rule_yaml(mention="[U0CREDIT1, S0CREDITS, W0GRID123, U0CREDIT1]")
    (rule,) = load_rules(write(tmp_path, "r.yaml", text)).rules
    assert rule.mentions == ("U0CREDIT1", "S0CREDITS", "W0GRID123")
    rendered = render(rule, fields(holdreason="<@U0EVIL00> <!subteam^S0EVIL000> <!here>"))
    assert rendered.startswith("<@U0CREDIT1> <!subteam^S0CREDITS> <@W0GRID123> Hold placed on")
    assert rendered.count("<") == 3  # Ingram's text is escaped: only the rule's mentions
    (single,) = load_rules(write(tmp_path, "r.yaml", rule_yaml(mention="S0CREDITS"))).rules
    assert single.mentions == ("S0CREDITS",)
    assert load_rules(write(tmp_path, "r.yaml", rule_yaml())).rules[0].mentions == ()


def test_render_cannot_reach_attributes_even_for_a_rule_built_in_code() -> None:
    rule = Rule("r", frozenset({"hold_placed"}), {}, "#a", "{ordernumber.__class__}|{nope}")
    assert render(rule, fields()) == "|"


def test_render_default_messages() -> None:
    rule = Rule("r", frozenset({"hold_placed"}), {}, "#a")
    assert render(rule, fields()) == "Hold placed on 20-RD12H-11: C3 Credit hold"
    released = fields(
        event="hold_released", previous_holdreasoncode="C3", previous_holdreason="A & B"
    )
    assert render(rule, released) == "Hold released on 20-RD12H-11 (was C3 A &amp; B)"
    for kind in ("hold_changed", "status_changed", "suborder_added"):
        assert "20-RD12H-11" in render(rule, fields(event=kind))


# --- The shipped rules -----------------------------------------------------------------------


def test_shipped_rules_pass_and_use_on_as_written() -> None:
    assert check_rules(REPO_RULES) == []
    ruleset = load_rules(REPO_RULES)
    names = {r.name: r for r in ruleset}
    assert names["credit-holds"].channel == "#credit-alerts"
    assert names["credit-holds"].match["holdreasoncode"] == frozenset(
        {"C3", "C4", "C5", "C8", "CC", "CH", "CL", "PC", "PD"}
    )
    assert names["sales-holds"].match["holdreasoncode"] == frozenset({"SH", "S2"})
    assert names["releases"].events == frozenset({"hold_released"})
    assert any(r.match.get("statuscode") == frozenset({"S"}) for r in ruleset)
    for path in sorted(REPO_RULES.glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        assert "\n    on: " in text and "#" in text  # written as `on:`, with teaching comments
    # They match what they should.
    assert [r.name for r in ruleset.matching(fields(holdreasoncode="CC"))] == ["credit-holds"]
    assert [r.name for r in ruleset.matching(fields(holdreasoncode="S2"))] == ["sales-holds"]
