"""The shape of the code that DESIGN.md and STYLE.md describe, checked on every run.

Dependencies point one way, from the bottom: the shared modules, ``mail`` (a leaf),
``partners`` and ``accounts``, ``events``, ``calendar``, ``registrations`` and
``attendance``, then ``api`` and ``privacy``, ``portal``, and ``backoffice`` on top. A lower
domain lets higher ones react through signals (``events.signals``), never by importing them.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROADSHOW = Path(__file__).resolve().parent.parent / "roadshow"

# Rank of each domain: a module may import domains of a lower rank only.
RANKS = {
    "mail": 0,
    "partners": 1,
    "accounts": 2,
    "events": 3,
    "calendar": 4,
    "registrations": 5,
    # Attendance records who of the registered came, and reports on both.
    "attendance": 6,
    "api": 7,
    "privacy": 7,
    "portal": 7,
    # The back office shows every domain's pages, the privacy pages included.
    "backoffice": 8,
}
# Top-level modules that gather every domain (the app factory, the model registry, the
# demo seed); every other top-level module is shared ground and imports no domain.
GATHERERS = {"__init__", "models", "demo"}


def modules() -> Iterator[tuple[Path, ast.Module]]:
    for path in sorted(ROADSHOW.rglob("*.py")):
        yield path, ast.parse(path.read_text(encoding="utf-8"))


def imported(tree: ast.Module) -> Iterator[str]:
    """Every ``roadshow.…`` module a file imports, wherever the import stands."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "roadshow":
                yield from (f"roadshow.{alias.name}" for alias in node.names)
            elif node.module.startswith("roadshow."):
                yield node.module
                yield from (f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            yield from (a.name for a in node.names if a.name.startswith("roadshow."))


def owner(path: Path) -> str:
    """The domain a file belongs to, or its module name for a top-level file."""
    parts = path.relative_to(ROADSHOW).parts
    return parts[0] if len(parts) > 1 else parts[0].removesuffix(".py")


def test_dependencies_point_one_way():
    wrong = []
    for path, tree in modules():
        source = owner(path)
        for name in imported(tree):
            target = name.split(".")[1]
            if target == source or target not in RANKS:
                continue
            below = source in RANKS and RANKS[target] < RANKS[source]
            if not (below or source in GATHERERS):
                wrong.append(f"{path.relative_to(ROADSHOW)} imports {name}")
    assert not sorted(set(wrong))


def test_the_mail_domain_knows_no_other_domain():
    for path, tree in modules():
        if owner(path) == "mail":
            others = {n for n in imported(tree) if n.split(".")[1] in RANKS} - {
                n for n in imported(tree) if n.startswith("roadshow.mail")
            }
            assert not others, f"{path.name} imports {others}"


def test_no_module_imports_another_domains_views():
    for path, tree in modules():
        for name in imported(tree):
            parts = name.split(".")
            if "views" in parts[2:] and parts[1] != owner(path):
                raise AssertionError(f"{path.relative_to(ROADSHOW)} imports {name}")


def test_services_read_no_app_globals():
    """Settings come as arguments or from ``roadshow.settings``; the actor is passed in."""
    for path in ROADSHOW.rglob("services.py"):
        text = path.read_text(encoding="utf-8")
        for name in ("current_app", "current_user", "flask.request", "from flask import"):
            assert name not in text, f"{path.relative_to(ROADSHOW)} uses {name}"


def test_forms_live_in_forms_modules():
    for path, tree in modules():
        if path.name == "forms.py":
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                bases = {getattr(b, "id", getattr(b, "attr", "")) for b in node.bases}
                assert not bases & {"FlaskForm", "Form"}, f"{node.name} in {path.name}"


def test_shared_helpers_exist_once():
    definitions: dict[str, list[str]] = {}
    for path, tree in modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef):
                definitions.setdefault(node.name, []).append(str(path.relative_to(ROADSHOW)))
    for helper in (
        "normalize_email",
        "hash_token",
        "new_token",
        "local_target",
        "private",
        "organisers_only",
        "outbox_counts",
        "record",
        "seats_taken",
        "registration_closed_reason",
        "propose_slug",
        "changed_fields",
    ):
        assert len(definitions.get(helper, [])) == 1, (helper, definitions.get(helper))


def test_templates_compare_no_enum_values():
    """Templates ask properties (``event.is_cancelled``), they do not re-derive rules."""
    root = ROADSHOW.parent
    for folder in ("templates", "emails"):
        for path in (root / folder).rglob("*"):
            if path.is_file() and path.suffix in (".html", ".txt"):
                text = path.read_text(encoding="utf-8")
                assert ".value ==" not in text and ".value !=" not in text, path
