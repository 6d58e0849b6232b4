"""The layering rule, checked on the source: which package may import which.

Every ``import`` and ``from ... import`` of every module under ``loadtest/`` (at module level or
inside a function: a lazy import is still a dependency) is read with :mod:`ast`. Three rules:

1. a package imports only packages of a lower layer (and itself): wire facts and leaf helpers at the
   bottom, then the target, flows, drivers, the pure report, the commands, the Locust adapter,
   and the top-level CLI;
2. ``loadtest.pool``, the server, shares ``srp_fast`` and ``loadtest.protocol`` with the clients
   and nothing else, and only the top-level CLI and the bootstrap import it (everyone else
   starts it as a process, through ``loadtest.target.launch``);
3. locust and gevent (which monkey-patch the process that imports them) are imported only in the
   Locust adapter, ``loadtest.locust`` (and in scenarios, benchmarks and tests, which are not here).

Each test is checked against a module written to break it, so a rule that can no longer fail
would fail here.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "loadtest"

#: Layer of each part of ``loadtest`` (a top-level module or subpackage), lowest first. A part
#: may import parts of a lower layer; parts of one layer do not import each other.
LAYERS: tuple[frozenset[str], ...] = (
    frozenset({"protocol", "steps", "srp_timing"}),
    frozenset({"target"}),
    frozenset({"flows"}),
    frozenset({"drivers"}),
    frozenset({"report"}),
    frozenset({"provision", "lockout", "quota"}),
    frozenset({"capacity"}),
    frozenset({"locust"}),
    frozenset({"bootstrap"}),
    frozenset({"cli", "demo"}),
)
#: The server: beside the clients, not above or below them.
SERVER = "pool"
SERVER_MAY_IMPORT = frozenset({"protocol"})
SERVER_IMPORTED_BY = frozenset({"cli", "bootstrap"})
FRAMEWORKS = {"locust": "locust", "gevent": "locust", "geventhttpclient": "locust"}


def part_of(module: str) -> str:
    """``loadtest.flows.login`` -> ``flows``; ``loadtest.cli`` -> ``cli``; ``loadtest`` -> ""."""
    return module.split(".")[1] if module.count(".") else ""


def layer_of(part: str) -> int | None:
    return next((i for i, parts in enumerate(LAYERS) if part in parts), None)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_in(source: str, module: str, *, is_package: bool) -> Iterator[str]:
    """Every module name an import statement in ``source`` names, relative ones resolved."""
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                yield ".".join([*base, node.module] if node.module else base)
            elif node.module:
                yield node.module


def violations(module: str, source: str, *, is_package: bool = False) -> list[str]:
    """What in ``source`` (the text of ``module``) breaks the rules, one line each."""
    part, found = part_of(module), []
    for name in sorted(set(imports_in(source, module, is_package=is_package))):
        root = name.partition(".")[0]
        if root in FRAMEWORKS and part != FRAMEWORKS[root]:
            found.append(f"{module} imports {root} (only loadtest.{FRAMEWORKS[root]} may)")
        if root != "loadtest" or not name.count("."):
            continue
        target = part_of(name)
        if target == part or not part:
            continue
        if part == SERVER and target not in SERVER_MAY_IMPORT:
            found.append(f"{module} (the server) imports client code loadtest.{target}")
        elif target == SERVER and part not in SERVER_IMPORTED_BY:
            found.append(f"{module} imports the server loadtest.pool (start it as a process)")
        elif SERVER not in (part, target) and not _below(target, part):
            found.append(f"{module} imports loadtest.{target}, which is not below it")
    return found


def _below(target: str, part: str) -> bool:
    lower, upper = layer_of(target), layer_of(part)
    return lower is not None and upper is not None and lower < upper


def every_module() -> Iterator[tuple[str, str, bool]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        yield module_name(path), path.read_text(encoding="utf-8"), path.name == "__init__.py"


def test_every_part_of_loadtest_has_a_layer() -> None:
    parts = {part_of(module) for module, _, _ in every_module()} - {"", SERVER}
    assert {p for p in parts if layer_of(p) is None} == set()


def test_no_module_breaks_the_layering() -> None:
    found = [
        line for args in every_module() for line in violations(args[0], args[1], is_package=args[2])
    ]
    assert found == []


@pytest.mark.parametrize(
    ("module", "source", "expected"),
    [
        ("loadtest.report.summary", "import locust", "imports locust"),
        ("loadtest.flows.login", "def f():\n    import gevent\n", "imports gevent"),
        ("loadtest.pool.app", "from loadtest.flows import login", "imports client code"),
        ("loadtest.pool.app", "from ..drivers import sync", "imports client code"),
        ("loadtest.provision.cli", "from loadtest.pool import server", "imports the server"),
        ("loadtest.target.config", "from loadtest.flows.context import x", "not below it"),
        ("loadtest.report.run", "from ..locust import run", "not below it"),
        ("loadtest.quota.cli", "from loadtest.capacity import kinds", "not below it"),
        ("loadtest.quota.cli", "from loadtest.lockout import model", "not below it"),
    ],
)
def test_each_rule_catches_a_module_written_to_break_it(
    module: str, source: str, expected: str
) -> None:
    (line,) = violations(module, source)
    assert expected in line


@pytest.mark.parametrize(
    ("module", "source"),
    [
        ("loadtest.locust.run", "import gevent\nfrom loadtest.report import run"),
        ("loadtest.pool.app", "from loadtest.protocol import names\nfrom . import store"),
        ("loadtest.cli", "from .pool import cli"),
        ("loadtest.capacity.cli", "from loadtest.quota import model\nfrom ..report import x"),
    ],
)
def test_what_the_rules_allow(module: str, source: str) -> None:
    assert violations(module, source) == []


def test_the_command_line_parser_imports_neither_the_server_nor_webauthn() -> None:
    """Every ``cognito-loadtest`` command builds a parser first (the whole one for ``--help``):
    the pool server (aiohttp and every operation) and the WebAuthn library (every verifier) are
    imported only by what uses them, ``pool serve`` and registering a passkey. Together they
    were a third of a command's start (0.9 s to 0.58 s for ``--help`` on the 2-core development
    machine)."""
    imported = imported_by(
        "loadtest.cli.build_parser(); import loadtest.flows, loadtest.pool.faults",
        "m in ('aiohttp', 'webauthn', 'loadtest.pool.server')",
    )
    assert imported == "[]"


def imported_by(code: str, which: str) -> str:
    """In a fresh interpreter that ran ``code`` (after ``import loadtest.cli``): the sorted
    list of the imported modules ``m`` for which ``which`` holds, as printed."""
    probe = f"import sys, loadtest.cli; {code}; print(sorted(m for m in sys.modules if {which}))"
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    return done.stdout.strip() + done.stderr


def test_the_pool_package_still_exports_its_names_on_first_use() -> None:
    import loadtest.pool as pool

    assert pool.serve.__module__ == "loadtest.pool.server"
    assert pool.parse_fault.__module__ == "loadtest.pool.faults"
    with pytest.raises(AttributeError):
        _ = pool.no_such_name


def _choices(parser: Any) -> set[str]:
    [sub] = [a for a in parser._actions if a.dest == "command"]
    return set(sub.choices)


def test_a_named_command_imports_only_its_module_and_the_table_is_complete() -> None:
    """``cli.COMMANDS`` names each subcommand's module; a command line that names one builds
    the parser from that module alone. ``pool serve`` (every local and test pool) then imports
    no client code: it started ~0.25 s of CPU sooner. The table must name every subcommand the
    modules register, else a command would be parsed by a parser that lacks it."""
    client = ("flows", "locust", "report", "capacity", "bootstrap", "demo")
    imported = imported_by(
        "loadtest.cli.build_parser('pool')",
        f"m.split('.')[1:2] in {[[part] for part in client]} and m.startswith('loadtest.') "
        "or m in ('locust', 'jinja2', 'gevent')",
    )
    assert imported == "[]"

    from loadtest import cli

    assert _choices(cli.build_parser()) == set(cli.COMMANDS) | {"bench"}
    for command, module in cli.COMMANDS.items():
        alone = cli.build_parser(command)
        assert command in _choices(alone), command
        assert {c for c in _choices(alone) if cli.COMMANDS[c] != module} == set(), command
