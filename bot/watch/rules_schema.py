"""The JSON Schema of a rules file, built from the table of keys the validator reads.

``orderbot rules schema`` prints it. Editors with YAML language support (yaml-language-server,
as in VS Code's YAML extension) use it to complete and check a rules file as people type,
given a first line ``# yaml-language-server: $schema=rules.schema.json``.

It is draft-07, the draft those editors support in full. The validator stays the authority:
a schema cannot say that names are unique across files or that a ``match.event`` must be one
of the rule's ``on:`` events; everything it does say comes from ``bot.watch.rules_keys``.
"""

from __future__ import annotations

from typing import Any

from bot import __version__
from bot.watch.rules_keys import FILE_KEYS, RULE_KEYS

DRAFT = "http://json-schema.org/draft-07/schema#"


def rule_schema() -> dict[str, Any]:
    """The schema of one rule."""
    return {
        "type": "object",
        "description": "One alert rule: on which events (and field values) to post what, where.",
        "properties": {key.name: {"description": key.summary, **key.schema} for key in RULE_KEYS},
        "required": [key.name for key in RULE_KEYS if key.required],
        "additionalProperties": False,
    }


def rules_schema() -> dict[str, Any]:
    """The schema of a rules file (one of the ``*.yaml`` files of ``ORDERBOT_RULES``)."""
    return {
        "$schema": DRAFT,
        "title": f"orderbot rules file (orderbot {__version__})",
        "description": (
            "Alert rules of orderbot's hold watcher. Check a file with: orderbot rules check PATH"
        ),
        "type": "object",
        "properties": {key.name: {"description": key.summary, **key.schema} for key in FILE_KEYS},
        "required": [key.name for key in FILE_KEYS if key.required],
        "additionalProperties": False,
        "definitions": {"rule": rule_schema()},
    }
