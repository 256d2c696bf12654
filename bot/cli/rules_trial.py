"""``orderbot rules test EVENT [FIELD=VALUE ...]``: which rules one made-up event matches.

Prints every rule that matches, with its channel and the message it would post; exit 0 when
one does, 1 when none does (then, for each rule of that event, the field that stopped it),
2 when the event or a field is not one orderbot knows (naming the nearest one).
"""

from __future__ import annotations

import argparse
import json

from bot.cli.common import EXIT_OK, EXIT_REFUSED, EXIT_USAGE, Fail, Subparsers, out, read_rules
from bot.watch.changes import EVENT_KINDS
from bot.watch.trial import TrialError, trial_fields, try_rules, why_not


def register(rules_sub: Subparsers) -> None:
    """Add ``rules test``."""
    p = rules_sub.add_parser(
        "test",
        help="show which rules one made-up event matches, and what they would post",
        description=(
            "Build one event of kind EVENT from FIELD=VALUE pairs (any rule field,"
            " previous_* included; the others blank) and print every rule that matches."
            " Exit 0 when one does, 1 when none does, 2 for an unknown event or field."
        ),
    )
    p.add_argument("event", metavar="EVENT", help=f"one of {', '.join(EVENT_KINDS)}")
    p.add_argument(
        "fields", nargs="*", metavar="FIELD=VALUE", help="e.g. holdreasoncode=C3 country=UK"
    )
    p.add_argument("--rules", help="rules file or folder (default ORDERBOT_RULES, rules/)")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=cmd_rules_test)


async def cmd_rules_test(args: argparse.Namespace) -> int:
    try:
        fields = trial_fields(args.event, args.fields)
    except TrialError as exc:
        raise Fail(str(exc), EXIT_USAGE) from None
    name, rules = read_rules(args.rules)
    matches = try_rules(rules, fields)
    status = EXIT_OK if matches else EXIT_REFUSED
    if args.json:
        out(
            json.dumps(
                {
                    "event": fields,
                    "rules": name,
                    "matches": [
                        {
                            "rule": m.rule.name,
                            "channel": m.rule.channel,
                            "file": str(m.rule.source),
                            "message": m.message,
                        }
                        for m in matches
                    ],
                },
                indent=2,
                ensure_ascii=False,
            )
        )
        return status
    about = " ".join(v for v in (fields["event"], fields["subordernumber"]) if v)
    count = str(len(matches)) if matches else "none"
    verb = "matches" if len(matches) <= 1 else "match"
    out(f"{about}: {count} of {len(rules)} rules in {name} {verb}")
    for match in matches:
        out(f"{match.rule.name} -> {match.rule.channel} ({match.rule.source})")
        out(f"  {match.message}")
    if not matches:
        listening = [rule for rule in rules if fields["event"] in rule.events]
        for rule in listening:
            out(f"  {rule.name}: {why_not(rule, fields)}")
        if not listening:
            out(f"  no rule is on {fields['event']}")
    return status
