"""The JSON Schema of rules files against the validator: one table of keys, no drift.

The schema is checked with ``jsonschema`` (the library editors' schema tooling agrees with):
it is a valid draft-07 schema, it names exactly the validator's keys, it accepts the shipped
rules, and where it can say something about a rule it says what ``rules check`` says.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft7Validator

from bot.watch.changes import EVENT_KINDS, RULE_FIELDS
from bot.watch.rules_keys import FILE_KEYS, RULE_KEY_NAMES, RULE_KEYS
from bot.watch.rules_loading import RulesLoader, check_rules
from bot.watch.rules_schema import rules_schema

REPO_RULES = Path(__file__).resolve().parents[2] / "rules"
SCHEMA = rules_schema()
VALIDATOR = Draft7Validator(SCHEMA)


def parse(text: str) -> Any:
    return yaml.load(text, Loader=RulesLoader)  # noqa: S506 - a SafeLoader subclass


def schema_accepts(text: str) -> bool:
    return VALIDATOR.is_valid(parse(text))


def validator_accepts(tmp_path: Path, text: str) -> bool:
    path = tmp_path / "rules.yaml"
    path.write_text(text, encoding="utf-8")
    return check_rules(path) == []


def one_rule(body: str) -> str:
    return "rules:\n  - " + body.strip().replace("\n", "\n    ") + "\n"


BASE = 'name: credit\non: hold_placed\nchannel: "#credit-alerts"'


def test_it_is_a_valid_draft_7_schema() -> None:
    Draft7Validator.check_schema(SCHEMA)
    assert SCHEMA["$schema"] == "http://json-schema.org/draft-07/schema#"


def test_it_names_exactly_the_validators_keys() -> None:
    rule = SCHEMA["definitions"]["rule"]
    assert tuple(rule["properties"]) == RULE_KEY_NAMES
    assert rule["required"] == [k.name for k in RULE_KEYS if k.required]
    assert rule["additionalProperties"] is False
    assert tuple(SCHEMA["properties"]) == tuple(k.name for k in FILE_KEYS)
    assert set(rule["properties"]["match"]["properties"]) == set(RULE_FIELDS)
    for key in RULE_KEYS:
        assert rule["properties"][key.name]["description"] == key.summary


def test_it_accepts_every_shipped_rules_file() -> None:
    files = sorted(REPO_RULES.glob("*.yaml"))
    assert files
    for path in files:
        errors = list(VALIDATOR.iter_errors(parse(path.read_text(encoding="utf-8"))))
        assert errors == [], (path, [e.message for e in errors])


@pytest.mark.parametrize(
    "text",
    [
        one_rule(BASE),
        one_rule(BASE.replace("hold_placed", "[hold_placed, hold_released]")),
        one_rule(BASE + '\nmatch:\n  holdreasoncode: [C3, ""]\n  country: UK'),
        one_rule(BASE + "\nmatch:\n  customerordernumber: 00123\n  statuscode: C"),
        one_rule(BASE.replace('"#credit-alerts"', "C0123456789") + "\nmessage: 'On {ordernumber}'"),
        one_rule(BASE + "\nmention: [U0123ABCD, S0CREDITS, W0GRID123]"),
        one_rule(BASE + "\nmention: U0123ABCD"),
        "rules:\n",
        "rules: []\n",
    ],
)
def test_what_the_validator_accepts_the_schema_accepts(tmp_path: Path, text: str) -> None:
    assert validator_accepts(tmp_path, text)
    assert schema_accepts(text)


@pytest.mark.parametrize(
    "text",
    [
        "- a\n",
        "rule: []\n",
        "rules: {a: 1}\n",
        "rules:\n  - just a string\n",
        one_rule(BASE + "\nchanel: '#x'"),
        one_rule(BASE.replace("name: credit\n", "")),
        one_rule(BASE.replace("on: hold_placed\n", "")),
        one_rule(BASE.replace('\nchannel: "#credit-alerts"', "")),
        one_rule(BASE.replace("hold_placed", "hold_place")),
        one_rule(BASE.replace("hold_placed", "[]")),
        one_rule(BASE + "\nmatch:\n  holdreasoncode: [C3, C9]"),
        one_rule(BASE + "\nmatch:\n  statuscode: X"),
        one_rule(BASE + "\nmatch:\n  holdcode: C3"),
        one_rule(BASE + "\nmatch:\n  event: hold_release"),
        one_rule(BASE + "\nmatch:\n  country: []"),
        one_rule(BASE + "\nmatch:\n  country: [[UK]]"),
        one_rule(BASE + "\nmatch: {}"),
        one_rule(BASE.replace('"#credit-alerts"', '"#Credit Alerts"')),
        one_rule(BASE.replace('"#credit-alerts"', "credit-alerts")),
        one_rule(BASE + '\nmessage: ""'),
        one_rule(BASE + "\nmention: alice"),
        one_rule(BASE + "\nmention: '<@U0123ABCD>'"),
        one_rule(BASE + "\nmention: C0123456789"),
        one_rule(BASE + "\nmention: []"),
    ],
)
def test_what_the_schema_can_refuse_both_refuse(tmp_path: Path, text: str) -> None:
    assert not validator_accepts(tmp_path, text)
    assert not schema_accepts(text)


def test_editors_complete_the_events_fields_and_codes() -> None:
    rule = SCHEMA["definitions"]["rule"]["properties"]
    assert rule["on"]["anyOf"][0]["enum"] == list(EVENT_KINDS)
    hold = rule["match"]["properties"]["holdreasoncode"]["anyOf"][0]["enum"]
    assert "C3" in hold and "" in hold
