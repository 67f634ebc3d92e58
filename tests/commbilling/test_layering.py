"""The apps form layers: each imports only from its own layer and those below, so that
no two apps depend on each other (module level or inside a function).

    commbilling (foundations: settings helpers, typed requests, pagination, l10n, forms)
    < accounts < activity < incidents < invoices < emails < refunds < support
    < batches (batch runs over the processes) < dashboard (reads them all)
    < commbilling.urls / commbilling.views (the project, which assembles everything)

An app not listed here (a new one) sits above all the listed ones: nothing below may
import it. Tests and migrations are not checked.
"""

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

LAYERS = [
    "accounts", "activity", "incidents", "invoices", "emails", "refunds", "payments", "support",
    "batches", "dashboard",
]  # fmt: skip
# Modules of commbilling that assemble the project: they may import any app.
PROJECT_MODULES = {"commbilling.urls", "commbilling.views", "commbilling.settings"}
TOP = len(LAYERS) + 1


def _layer(module: str) -> int | None:
    """The layer of an importable module of ours, None for third-party ones."""
    if module in PROJECT_MODULES or any(module.startswith(f"{m}.") for m in PROJECT_MODULES):
        return TOP + 1
    package = module.split(".")[0]
    if package == "commbilling":
        return 0
    if package in LAYERS:
        return LAYERS.index(package) + 1
    if (ROOT / package / "apps.py").exists():
        return TOP  # an app this list does not know yet
    return None


def _own_modules() -> list[tuple[str, Path]]:
    found = []
    for path in sorted(ROOT.glob("*/**/*.py")):
        relative = path.relative_to(ROOT)
        if relative.parts[0] in {"tests", "bench", "scripts", ".venv", "docs", "static"}:
            continue
        if "migrations" in relative.parts or relative.parts[0].startswith("."):
            continue
        if _layer(relative.parts[0]) is None:
            continue
        module = ".".join(relative.with_suffix("").parts).removesuffix(".__init__")
        found.append((module, path))
    return found


def _type_checking_only(tree: ast.Module) -> set[ast.AST]:
    """Imports under ``if TYPE_CHECKING:``: annotations, not dependencies at run time."""
    skipped: set[ast.AST] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                skipped.update(ast.walk(child))
    return skipped


def _imports(module: str, path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    skipped = _type_checking_only(tree)
    names: set[str] = set()
    for node in ast.walk(tree):
        if node in skipped:
            continue
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                names.add(".".join([*base, node.module] if node.module else base))
            elif node.module:
                names.add(node.module)
    return names


def _violations() -> list[str]:
    found = []
    for module, path in _own_modules():
        own = _layer(module)
        assert own is not None
        for imported in _imports(module, path):
            layer = _layer(imported)
            if layer is not None and layer > own:
                found.append(f"{module} imports {imported}")
    return found


def test_no_app_imports_one_above_it():
    assert _violations() == []


@pytest.mark.parametrize(
    ("module", "imported", "allowed"),
    [
        ("invoices.services", "emails.services", False),
        ("emails.services", "invoices.models", True),
        ("activity.models", "accounts.models", True),
        ("accounts.views", "commbilling.http", True),
        ("commbilling.http", "accounts.models", False),
        ("commbilling.views", "activity.models", True),
        ("dashboard.views", "batches.models", True),
        ("batches.actions", "dashboard.counters", False),
        ("emails.views", "batches.views", False),
    ],
)
def test_the_layers_themselves(module, imported, allowed):
    assert (_layer(imported) <= _layer(module)) is allowed
