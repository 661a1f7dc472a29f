"""The arrows between the engine's parts point one way; this test reads the code's imports to hold them.

- `workflow/specs/` (definitions to frozen specs) and the pure time modules (`timing/clock`,
  `timing/calendar`, `timing/periods`) reach no SQLAlchemy, no SQLModel, no store and no engine:
  `award definitions check` and the calendar never need a database.
- Nothing in `workflow/` reaches `cli`, `commands` or `notifiers`: the CLI's composition root
  (commands/context.py) builds the notifiers and hands them in.
- `notifiers/` imports of `award` only the seams and values (`workflow.abc`, `errors`, `values`,
  and the one clock `timing.clock`), so a channel can be written without knowing the engine.
- `workflow/notify/` and `workflow/registers/` never reach the engine: it calls them, not the reverse.

"Reach" is transitive over the imports that run (module level and inside functions), not those
under `if TYPE_CHECKING:`, which only the type checker follows. The AST is read, nothing is imported.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "award"
SQL = ("sqlalchemy", "sqlmodel", "award.workflow.store", "award.workflow.engine")
OUTSIDE_ENGINE = ("award.cli", "award.commands", "award.notifiers", "notifiers", "cli")
NOTIFIERS_MAY_USE = ("award.workflow.abc", "award.workflow.errors", "award.workflow.values",
                     "award.workflow.timing.clock", "award.workflow.logs", "award.notifiers")
"""What a notifier may import of the program (award.workflow.logs: their loggers, configured as every module's)."""


def _modules(root: Path) -> dict[str, Path]:
    """Module name -> file, for every .py file of the repository's packages (not tests, not the venv)."""
    out: dict[str, Path] = {}
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root)
        if rel.parts[0].startswith(".") or rel.parts[0] in ("tests", "benchmarks", "build") or "egg-info" in str(rel):
            continue
        parts = list(rel.with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join([PACKAGE, *parts])] = path
    return out


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _import_nodes(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import that runs: skips the bodies of `if TYPE_CHECKING:`."""
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        stack.extend(ast.iter_child_nodes(node))


def imports_of(name: str, path: Path, known: Iterable[str]) -> set[str]:
    """The absolute names a module imports at run time (relative imports resolved)."""
    known = set(known)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in _import_nodes(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
            continue
        if node.level:
            base = package.split(".")
            base = base[: len(base) - node.level + 1]
            target = ".".join(base + ([node.module] if node.module else []))
        else:
            target = node.module or ""
        out.add(target)
        out.update(f"{target}.{alias.name}" for alias in node.names if f"{target}.{alias.name}" in known)
    return out


def graph(root: Path) -> dict[str, set[str]]:
    """Each module's run-time imports, plus the packages whose `__init__` an import runs."""
    modules = _modules(root)
    edges: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets = imports_of(name, path, modules)
        parents = {".".join(t.split(".")[:i]) for t in targets for i in range(1, t.count(".") + 1)}
        edges[name] = {t for t in targets | parents if t}
    return edges


def chain(edges: dict[str, set[str]], start: str, forbidden: tuple[str, ...]) -> list[str] | None:
    """The shortest import chain from `start` to a forbidden module (or one inside it), or None."""
    seen, queue = {start}, [[start]]
    while queue:
        path = queue.pop(0)
        for target in sorted(edges.get(path[-1], ())):
            if any(target == f or target.startswith(f + ".") for f in forbidden):
                return [*path, target]
            if target in edges and target not in seen:
                seen.add(target)
                queue.append([*path, target])
    return None


EDGES = graph(ROOT)
PURE = sorted(m for m in EDGES if m.startswith("award.workflow.specs")
              or m in ("award.workflow.timing.clock", "award.workflow.timing.calendar", "award.workflow.timing.periods",
                        "award.workflow.timing.notice_text", "award.workflow.timing.calendar_years"))
WORKFLOW = sorted(m for m in EDGES if m.startswith("award.workflow"))
NOTIFIERS = sorted(m for m in EDGES if m.startswith("award.notifiers"))
REGISTERS_AND_NOTIFY = sorted(m for m in EDGES if m.startswith(("award.workflow.notify", "award.workflow.registers")))


def test_the_graph_sees_the_code() -> None:
    assert {"award.workflow.engine", "award.workflow.specs.check", "award.notifiers.smtp",
            "award.commands.context"} <= set(EDGES)
    assert "sqlalchemy" in EDGES["award.workflow.engine"]
    assert "award.workflow.timing.timers" in EDGES["award.commands.context"]  # an import inside a function
    assert "award.workflow.engine" not in EDGES["award.workflow.notify.outbox"]  # only under TYPE_CHECKING


@pytest.mark.parametrize("module", PURE)
def test_specs_and_pure_time_reach_no_sql_and_no_engine(module: str) -> None:
    found = chain(EDGES, module, SQL)
    assert found is None, " -> ".join(found or [])


@pytest.mark.parametrize("module", WORKFLOW)
def test_workflow_reaches_neither_the_cli_nor_the_notifiers(module: str) -> None:
    found = chain(EDGES, module, OUTSIDE_ENGINE)
    assert found is None, " -> ".join(found or [])


@pytest.mark.parametrize("module", NOTIFIERS)
def test_notifiers_import_only_the_seams_and_values(module: str) -> None:
    mine = {t for t in EDGES[module] if t.split(".")[0] in (PACKAGE, "workflow", "cli", "commands")}
    parents = {".".join(t.split(".")[:i]) for t in mine for i in range(1, t.count(".") + 1)}
    wrong = sorted(t for t in mine - parents
                   if not any(t == ok or t.startswith(ok + ".") for ok in NOTIFIERS_MAY_USE))
    assert not wrong, f"{module} imports {wrong}; allowed: {NOTIFIERS_MAY_USE}"


@pytest.mark.parametrize("module", REGISTERS_AND_NOTIFY)
def test_registers_and_notify_never_reach_the_engine(module: str) -> None:
    found = chain(EDGES, module, ("award.workflow.engine",))
    assert found is None, " -> ".join(found or [])


def test_the_check_fails_on_a_forbidden_import(tmp_path: Path) -> None:
    """The checker itself: a spec module importing the store through a helper, inside a function."""
    for folder in ("workflow", "workflow/specs", "notifiers"):
        (tmp_path / folder).mkdir(parents=True, exist_ok=True)
        (tmp_path / folder / "__init__.py").write_text("")
    (tmp_path / "workflow" / "store.py").write_text("import sqlmodel\n")
    (tmp_path / "workflow" / "helper.py").write_text("def f():\n    from .store import X\n")
    (tmp_path / "workflow" / "specs" / "model.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from ..engine import Engine\nfrom .. import helper\n")
    (tmp_path / "notifiers" / "smtp.py").write_text("from award.workflow.engine import Engine\n")
    edges = graph(tmp_path)
    assert chain(edges, "award.workflow.specs.model", SQL) == [
        "award.workflow.specs.model", "award.workflow.helper", "award.workflow.store"]
    assert chain(edges, "award.workflow.specs.model", ("award.workflow.engine",)) is None  # TYPE_CHECKING only
    assert "award.workflow.engine" in edges["award.notifiers.smtp"]


def private_engine_uses(path: Path, root: Path) -> list[str]:
    """`engine._x` / `self.engine._x` outside engine.py: reaching past the engine's public API."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not (isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__")):
            continue
        owner = node.value
        name = owner.id if isinstance(owner, ast.Name) else owner.attr if isinstance(owner, ast.Attribute) else ""
        if name == "engine":
            found.append(f"{path.relative_to(root)}:{node.lineno}: engine.{node.attr}")
    return found


CODE = sorted(p for p in ROOT.rglob("*.py")
              if p.relative_to(ROOT).parts[0] in ("workflow", "commands", "notifiers") and p.name != "engine.py"
              ) + [ROOT / "cli.py", ROOT / "demo.py"]


@pytest.mark.parametrize("path", CODE, ids=[str(p.relative_to(ROOT)) for p in CODE])
def test_nothing_outside_the_engine_reaches_its_private_parts(path: Path) -> None:
    found = private_engine_uses(path, ROOT)
    assert not found, "\n".join(found)


def test_the_private_check_sees_a_reach(tmp_path: Path) -> None:
    bad = tmp_path / "x.py"
    bad.write_text("def f(engine, o):\n    engine._step()\n    o.engine._note()\n    engine.advance_in()\n")
    assert [x.split(": ", 1)[1] for x in private_engine_uses(bad, tmp_path)] == ["engine._step", "engine._note"]


PLAIN_READ = ("award.workflow.plainread", "award.workflow.plainfile", "award.workflow.readviews",
              "award.workflow.sealmac")


@pytest.mark.parametrize("module", PLAIN_READ)
def test_the_plain_read_path_reaches_sql_only_through_its_compiler(module: str) -> None:
    """`show`/`history` and the idle tick start fast because these reach no ORM; `plainsql` (SQLAlchemy) runs
    once per schema, reached only from `plainfile.compiled_statements`."""
    edges = {name: targets for name, targets in EDGES.items() if name != "award.workflow.plainsql"}
    found = chain(edges, module, SQL)
    assert found is None, " -> ".join(found or [])
    assert "award.workflow.plainsql" in EDGES["award.workflow.plainfile"]  # the one way in
    assert not any("award.workflow.plainsql" in EDGES[m] for m in PLAIN_READ if m != "award.workflow.plainfile")
