"""The public API: curated, sorted, and complete."""

from __future__ import annotations

import zdmigrate
from zdmigrate import ops


def isort_style(name: str) -> tuple[int, str]:
    """Constants, then classes, then the rest: the order ruff keeps ``__all__`` in."""
    return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)


def test_all_is_sorted() -> None:
    assert zdmigrate.__all__ == sorted(zdmigrate.__all__, key=isort_style)
    assert ops.__all__ == sorted(ops.__all__, key=isort_style)


def test_every_public_name_resolves() -> None:
    for name in zdmigrate.__all__:
        assert getattr(zdmigrate, name) is not None


def test_every_registered_operation_is_exported() -> None:
    assert set(ops.OPERATIONS) <= set(ops.__all__)
    for name, cls in ops.OPERATIONS.items():
        assert getattr(ops, name) is cls
