"""The shape of the code, checked on every run: layers import downwards only, packages form no
circle, the Ingram client stands alone, the emulators do not lean on the app they stand in
for, and no module grows past about 400 lines (data tables aside).

See docs/architecture.md for what each layer owns.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BOT = ROOT / "bot"

#: Every part of ``bot``, by layer, highest first. A module may import its own layer and the
#: layers below it.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("bot.__main__", "bot.cli", "bot.demo", "bot.sandbox"),
    ("bot.runtime", "bot.poll_once"),
    (
        "bot.slack",
        "bot.watch",
        "bot.orders",
        "bot.health",
        "bot.config",
        "bot.variables",
        "bot.retention",
        "bot.metrics",
    ),
    ("bot.store", "bot.ingram"),
    ("bot", "bot.clock", "bot.log", "bot.tasks", "bot.headers", "bot.shipped"),
)

#: The Ingram client is usable alone, like an SDK.
INGRAM_MAY_IMPORT = {"bot", "bot.clock", "bot.headers", "bot.log", "bot.ingram"}

#: The emulators stand in for Slack and Ingram: they may share the vendor's code tables, never
#: the app they are tested against (only ``bot.sandbox.world`` wires the two together).
EMULATORS = ("bot.sandbox.ingram", "bot.sandbox.slack")
EMULATORS_MAY_IMPORT = {"bot", "bot.clock", "bot.ingram.codes", "bot.sandbox"}

MAX_LINES = 400
#: Data tables, allowed to be long.
DATA_MODULES = {"bot/sandbox/ingram/seed.py"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(path: Path) -> Iterator[str]:
    """Every ``bot...`` module the file imports (relative imports resolved)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names if a.name.split(".")[0] == "bot")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            if target.split(".")[0] == "bot":
                yield target


def part_of(module: str) -> str:
    """The entry of ``LAYERS`` a module belongs to."""
    parts = module.split(".")
    return ".".join(parts[:2]) if len(parts) > 1 else module


def layer_of(part: str) -> int:
    for number, members in enumerate(LAYERS):
        if part in members:
            return number
    raise AssertionError(f"{part} is in no layer: add it to LAYERS in tests/test_layers.py")


def sources() -> list[Path]:
    return sorted(BOT.rglob("*.py"))


def graph() -> dict[str, set[str]]:
    return {module_name(p): set(imports(p)) for p in sources()}


def test_layers_import_downwards_only() -> None:
    wrong = [
        f"{source} imports {target}"
        for source, targets in graph().items()
        for target in sorted(targets)
        if layer_of(part_of(target)) < layer_of(part_of(source))
    ]
    assert not wrong, "imports that go up a layer:\n" + "\n".join(wrong)


def test_packages_form_no_circle() -> None:
    edges: dict[str, set[str]] = defaultdict(set)
    for source, targets in graph().items():
        for target in targets:
            if part_of(source) != part_of(target) and part_of(target) != "bot":
                edges[part_of(source)].add(part_of(target))

    def reach(start: str) -> set[str]:
        seen: set[str] = set()
        todo = [start]
        while todo:
            for nxt in edges[todo.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen

    circles = sorted(part for part in list(edges) if part in reach(part))
    assert not circles, f"packages that import themselves through others: {circles}"


def test_the_ingram_client_stands_alone() -> None:
    wrong = [
        f"{source} imports {target}"
        for source, targets in graph().items()
        if part_of(source) == "bot.ingram"
        for target in sorted(targets)
        if part_of(target) not in INGRAM_MAY_IMPORT
    ]
    assert not wrong, "\n".join(wrong)


def test_the_emulators_do_not_use_the_app() -> None:
    def allowed(target: str) -> bool:
        return target in EMULATORS_MAY_IMPORT or target.startswith(EMULATORS)

    wrong = [
        f"{source} imports {target}"
        for source, targets in graph().items()
        if source.startswith(EMULATORS)
        for target in sorted(targets)
        if not allowed(target)
    ]
    assert not wrong, "\n".join(wrong)


def test_no_module_is_over_about_400_lines() -> None:
    long = [
        f"{path.relative_to(ROOT)}: {count} lines"
        for path in sources()
        if (count := len(path.read_text().splitlines())) > MAX_LINES
        and str(path.relative_to(ROOT)) not in DATA_MODULES
    ]
    assert not long, (
        f"split these by responsibility (at most {MAX_LINES} lines a module):\n" + "\n".join(long)
    )
