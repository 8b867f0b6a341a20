"""The documentation site covers every operation, and every page is reachable from the nav."""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

import zdmigrate.ops
from zdmigrate.ops.base import OPERATIONS

# Register every operation module, exported from zdmigrate.ops or not yet.
for module in pkgutil.iter_modules(zdmigrate.ops.__path__):
    importlib.import_module(f"zdmigrate.ops.{module.name}")

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def snake_case(name: str) -> str:
    """``AddColumn`` → ``add_column``; ``RunSQL`` → ``run_sql``."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()


def nav_pages(entry: Any) -> list[str]:
    if isinstance(entry, str):
        return [entry]
    if isinstance(entry, list):
        return [page for item in entry for page in nav_pages(item)]
    if isinstance(entry, dict):
        return [page for value in entry.values() for page in nav_pages(value)]
    return []


def nav() -> list[str]:
    # mkdocs.yml may carry !!python tags for extensions; the nav is plain YAML either way.
    config = yaml.load((ROOT / "mkdocs.yml").read_text(), Loader=yaml.BaseLoader)
    return nav_pages(config["nav"])


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_every_operation_has_a_page(name: str) -> None:
    page = DOCS / "operations" / f"{snake_case(name)}.md"
    assert page.is_file(), f"{name} has no page: write {page.relative_to(ROOT)}"
    assert f"operations/{page.name}" in nav(), f"{page.name} is not in the mkdocs nav"


def test_every_page_is_in_the_nav() -> None:
    pages = {str(p.relative_to(DOCS)) for p in DOCS.rglob("*.md")}
    listed = nav()
    assert sorted(pages - set(listed)) == []
    assert sorted(set(listed) - pages) == [], "the nav lists pages that do not exist"


def test_the_operations_index_lists_every_operation() -> None:
    index = (DOCS / "operations" / "index.md").read_text()
    for name in OPERATIONS:
        assert f"({snake_case(name)}.md)" in index, f"operations/index.md does not link {name}"


@pytest.mark.parametrize(("name", "snake"), [("AddColumn", "add_column"), ("RunSQL", "run_sql")])
def test_snake_case(name: str, snake: str) -> None:
    assert snake_case(name) == snake


def docs_script(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, DOCS / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def gen_sql() -> ModuleType:
    """docs/gen_sql.py, which writes the SQL on the operation pages."""
    return docs_script("gen_sql")


@pytest.fixture(scope="module")
def gen_rules() -> ModuleType:
    """docs/gen_rules.py, which writes the rules index and the nav's Rules section."""
    return docs_script("gen_rules")


def test_every_operation_has_an_sql_example(gen_sql: ModuleType) -> None:
    missing = sorted(set(OPERATIONS) - set(gen_sql.EXAMPLES))
    assert missing == [], "add an example for each to EXAMPLES in docs/gen_sql.py"


def test_the_sql_on_the_operation_pages_is_up_to_date(gen_sql: ModuleType) -> None:
    stale = [str(page.relative_to(ROOT)) for page in gen_sql.stale_pages()]
    assert stale == [], (
        f"the SQL on {', '.join(stale)} is out of date: run `python docs/gen_sql.py`"
    )


def test_every_rule_has_a_page_titled_by_its_code_and_name(gen_rules: ModuleType) -> None:
    for code, name, _, _ in gen_rules.all_rules():
        page = DOCS / "rules" / f"{code}.md"
        assert page.exists(), f"{code} has no page"
        assert page.read_text().splitlines()[0] == f"# {code} {name}"
        text = page.read_text().lower()
        for section in ("## problem", "## example", "## safe recipe"):
            assert section in text, f"{code}: no {section!r} section"


def test_the_rules_index_and_nav_are_up_to_date(gen_rules: ModuleType) -> None:
    """Regenerate with: .venv/bin/python docs/gen_rules.py"""
    assert (DOCS / "rules" / "index.md").read_text() == gen_rules.index_page()
    assert gen_rules.MKDOCS.read_text() == gen_rules.mkdocs_with_nav()
