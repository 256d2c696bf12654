"""Reading the rules files: YAML as written, every problem of every file reported at once.

Rules are YAML, in a file or a folder of ``*.yaml`` files (``ORDERBOT_RULES``). The format is
a contract every user writes, so loading checks everything and reports every problem at
once, each naming the file, the rule and the field (the keys, and how each is read, are the
table of ``bot.watch.rules_keys``)::

    rules:
      - name: credit-holds                 # unique across all files
        on: hold_placed                    # an event, or a list of events
        match:                             # optional; every key must match; a list = any of
          holdreasoncode: [C3, C4, C5, C8, CC, CH, CL, PC, PD]
        channel: "#credit-alerts"          # channel name (quoted) or ID
        message: "Credit hold on {subordernumber}: {holdreason}"   # optional template

Values are read as written: only ``true``/``false`` are booleans (so ``on:`` is the key "on",
not YAML 1.1's True) and numbers stay text (``00123`` is not the octal number 83).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import yaml
from yaml.constructor import ConstructorError

from bot.watch.rules import Rule, RuleSet
from bot.watch.rules_keys import FILE_KEYS, RuleReader
from bot.watch.rules_validation import describe, is_scalar, suggest
from bot.watch.summaries import Summary, read_summaries


class RulesError(Exception):
    """The rules cannot be used; ``problems`` lists every reason, one line each."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


# --- YAML, read as written -------------------------------------------------------------------


class RulesLoader(yaml.SafeLoader):
    """A SafeLoader that reads rules as written.

    YAML 1.1 makes ``on``/``off``/``yes``/``no``/``y``/``n`` booleans, so a bare ``on:``
    key would come back as True; here only ``true``/``false`` are booleans. Numbers and
    dates are not resolved either (every value of a rule is text), and a key given twice in
    one mapping is an error instead of silently keeping the last one.
    """

    yaml_implicit_resolvers: ClassVar[dict[Any, list[tuple[str, re.Pattern[str]]]]] = {
        first: [
            (tag, regexp)
            for tag, regexp in resolvers
            if tag
            not in (
                "tag:yaml.org,2002:bool",
                "tag:yaml.org,2002:int",
                "tag:yaml.org,2002:float",
                "tag:yaml.org,2002:timestamp",
            )
        ]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                duplicate = key in seen
                seen.add(key)
            except TypeError:  # an unhashable key; SafeLoader reports it
                continue
            if duplicate:
                raise ConstructorError(
                    None, None, f'the key "{key}" appears twice in one mapping', key_node.start_mark
                )
        return super().construct_mapping(node, deep=deep)


RulesLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


def _read_yaml(path: Path, shown: str) -> tuple[Any, list[str]]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return None, [f"{shown}: not UTF-8 text; save the rules file as UTF-8"]
    except OSError as exc:
        return None, [f"{shown}: cannot be read: {exc.strerror or exc}"]
    try:
        return yaml.load(text, Loader=RulesLoader), []  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        what = " ".join(str(p) for p in (exc.context, exc.problem) if p)
        return None, [f"{shown}: {where}YAML error: {what}"]
    except yaml.YAMLError as exc:
        return None, [f"{shown}: YAML error: {exc}"]


def _rule_files(path: Path) -> tuple[list[Path], list[str]]:
    if path.is_dir():
        files = sorted(p for p in path.glob("*.yaml") if p.is_file())
        if not files:
            others = sorted(p.name for p in path.glob("*.yml"))
            extra = f" (found {', '.join(others)}: rename them to .yaml)" if others else ""
            return [], [
                f"{path}: the folder has no *.yaml rules files{extra}; add one (see the"
                " examples in orderbot's rules/ folder) or set ORDERBOT_RULES to a rules file"
            ]
        return files, []
    if path.is_file():
        return [path], []
    return [], [
        f"{path}: no such file or folder; set ORDERBOT_RULES to a rules file or a folder of"
        " *.yaml rules files"
    ]


def _load(path: str | Path) -> tuple[RuleSet, list[str]]:
    root = Path(path)
    files, problems = _rule_files(root)
    rules: list[Rule] = []
    summaries: list[Summary] = []
    names: dict[str, str] = {}
    for file in files:
        shown = str(file)
        data, read_problems = _read_yaml(file, shown)
        if read_problems:
            problems += read_problems
            continue
        if data is None:
            problems.append(
                f'{shown}: the file is empty; it needs a "rules:" list (see the examples in'
                " orderbot's rules/ folder)"
            )
            continue
        if not isinstance(data, Mapping):
            problems.append(
                f'{shown}: expected a mapping with a "rules:" list, got {describe(data)}'
            )
            continue
        top_level = [key.name for key in FILE_KEYS]
        for key in data:
            if str(key) not in top_level:
                problems.append(
                    f'{shown}: unknown top-level key "{key}"{suggest(str(key), top_level, "keys")}'
                )
        if "rules" not in data:
            problems.append(f'{shown}: no "rules:" list at the top level')
            continue
        found, wrong = read_summaries(shown, data.get("summaries"))
        problems += wrong
        for summary in found:
            if any(s.name == summary.name for s in summaries):
                problems.append(
                    f'{shown}: summary "{summary.name}": name: duplicate; names of summaries'
                    " must be unique across all rules files"
                )
            else:
                summaries.append(summary)
        items = data["rules"]
        if items is None:
            items = []
        if not isinstance(items, list):
            problems.append(f"{shown}: rules: expected a list of rules, got {describe(items)}")
            continue
        for index, raw in enumerate(items, start=1):
            reader = RuleReader(shown, index, raw, file)
            rule = reader.read()
            problems += reader.problems
            rule_name = rule.name if rule else _raw_name(raw)
            if rule_name is None:
                continue
            if rule_name in names:
                problems.append(
                    f'{shown}: rule "{rule_name}": name: duplicate; {names[rule_name]} already'
                    " has a rule of that name (names must be unique across all rules files)"
                )
                continue
            names[rule_name] = f"{shown} (rule #{index})"
            if rule is not None:
                rules.append(rule)
    return RuleSet(tuple(rules), tuple(summaries)), problems


def _raw_name(raw: Any) -> str | None:
    if isinstance(raw, Mapping) and is_scalar(raw.get("name")) and str(raw["name"]).strip():
        return str(raw["name"]).strip()
    return None


def load_rules(path: str | Path) -> RuleSet:
    """Read and validate the rules in a file or a folder of ``*.yaml`` (sorted by name).

    Raises ``RulesError`` listing every problem, one a line, each naming the file, the rule
    and the field, with the nearest valid value where there is one.
    """
    ruleset, problems = _load(path)
    if problems:
        raise RulesError(problems)
    return ruleset


def check_rules(path: str | Path) -> list[str]:
    """The problems of the rules at ``path`` (``[]`` when they are valid), for
    ``orderbot rules check``."""
    return _load(path)[1]
