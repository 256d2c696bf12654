"""``orderbot rules test``'s event: built from FIELD=VALUE, matched, explained."""

from __future__ import annotations

import pytest

from bot.watch.changes import RULE_FIELDS
from bot.watch.rules import Rule, RuleSet
from bot.watch.trial import TrialError, trial_fields, try_rules, why_not

CREDIT = Rule(
    "credit",
    frozenset({"hold_placed"}),
    {"holdreasoncode": frozenset({"C3", "C4"}), "country": frozenset({"UK", ""})},
    "#credit-alerts",
    "Credit hold on {subordernumber}: {holdreasoncode} {holdreason}",
    mentions=("U0CREDIT1",),
)
RELEASES = Rule("releases", frozenset({"hold_released"}), {}, "#order-alerts")


def test_the_fields_given_and_the_others_blank() -> None:
    fields = trial_fields("hold_placed", ["subordernumber=20-rd12h-21", "customerordernumber=po 1"])
    assert list(fields) == list(RULE_FIELDS)
    assert fields["event"] == "hold_placed"
    assert fields["subordernumber"] == "20-RD12H-21"  # written as Ingram writes it
    assert fields["customerordernumber"] == "po 1"
    assert {k for k, v in fields.items() if v} == {"event", "subordernumber", "customerordernumber"}


def test_a_code_brings_its_description_as_a_real_event_does() -> None:
    fields = trial_fields("hold_changed", ["holdreasoncode=c3", "previous_holdreasoncode=CH"])
    assert (fields["holdreasoncode"], fields["holdreason"]) == ("C3", "Credit hold")
    assert fields["previous_holdreason"] == "Credit check hold"
    given = trial_fields("hold_placed", ["holdreasoncode=C3", "holdreason=HARD-9 CUST"])
    assert given["holdreason"] == "HARD-9 CUST"
    blank = trial_fields("hold_released", ["holdreasoncode="])
    assert (blank["holdreasoncode"], blank["holdreason"]) == ("", "No hold")


@pytest.mark.parametrize(
    ("kind", "assignments", "expected"),
    [
        ("hold_place", [], 'unknown event "hold_place" (did you mean "hold_placed"?)'),
        (
            "hold_placed",
            ["holdcode=C3"],
            'unknown field "holdcode" (did you mean "holdreasoncode"?)',
        ),
        ("hold_placed", ["C3"], '"C3" is not FIELD=VALUE; write it as in holdreasoncode=C3'),
        ("hold_placed", ["event=hold_released"], "the event is hold_placed, given before"),
        ("hold_placed", ["country=UK", "country=DE"], "country is given twice"),
        (
            "hold_placed",
            ["holdreasoncode=C9"],
            'holdreasoncode: unknown hold reason code "C9" (did you mean "C3"?)',
        ),
        ("hold_placed", ["statuscode=X"], 'statuscode: unknown order status code "X"'),
    ],
)
def test_what_is_not_an_event_is_one_line(kind: str, assignments: list[str], expected: str) -> None:
    with pytest.raises(TrialError) as info:
        trial_fields(kind, assignments)
    assert str(info.value).startswith(expected)
    assert "\n" not in str(info.value)


def test_matches_render_as_the_alert_would() -> None:
    fields = trial_fields("hold_placed", ["holdreasoncode=C3", "subordernumber=20-RD12H-21"])
    (match,) = try_rules(RuleSet((CREDIT, RELEASES)), fields)
    assert match.rule is CREDIT
    assert match.message == "<@U0CREDIT1> Credit hold on 20-RD12H-21: C3 Credit hold"


def test_why_a_rule_does_not_match() -> None:
    fields = trial_fields("hold_placed", ["holdreasoncode=SH", "country=DE"])
    assert try_rules(RuleSet((CREDIT,)), fields) == []
    assert why_not(CREDIT, fields) == 'holdreasoncode is "SH", not one of C3, C4'
    uk = trial_fields("hold_placed", ["holdreasoncode=C3", "country=DE"])
    assert why_not(CREDIT, uk) == 'country is "DE", not one of "", UK'
    assert why_not(RELEASES, fields) == "it is on hold_released, not hold_placed"
    assert why_not(CREDIT, trial_fields("hold_placed", ["holdreasoncode="])).startswith(
        "holdreasoncode is blank"
    )
