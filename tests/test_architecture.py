"""The apps depend one way (DESIGN.md): `reporting` may use `standards` and `districts`, `standards` may use
`districts`, and `districts` uses neither. Read from the source, so a new import against the grain fails here."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ("districts", "standards", "reporting")
MAY_NOT_USE = {"districts": {"standards", "reporting"}, "standards": {"reporting"}, "reporting": set()}


def imported_apps(path: Path) -> set[tuple[str, int]]:
    """(app, line) of every import of one of the apps in the file, at any depth (function-level imports too)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found |= {(name.split(".")[0], node.lineno) for name in names if name.split(".")[0] in APPS}
    return found


@pytest.mark.parametrize("app", APPS)
def test_each_app_uses_only_the_apps_below_it(app):
    against = [
        f"{path.relative_to(ROOT)}:{line} imports {used}"
        for path in sorted((ROOT / app).rglob("*.py"))
        for used, line in imported_apps(path)
        if used in MAY_NOT_USE[app]
    ]
    assert against == []


def test_the_shared_widgets_use_no_app():
    for module in ("widgets.py", "db.py", "paging.py"):
        assert imported_apps(ROOT / "greencommunity" / module) == set(), module


def test_the_check_finds_an_import_against_the_grain(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from reporting.forms import X\n", encoding="utf-8")
    assert imported_apps(module) == {("reporting", 2)}
