"""A plain Alembic history, read from ``alembic.ini`` without importing a revision.

Alembic imports every revision file to build its revision map, so one file that imports a
module missing here would stop the whole history from loading. The graph is read instead from
each file's ``revision`` and ``down_revision`` assignments (literals in every template Alembic
has shipped), and a revision is imported only when it is recorded, on its own.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from zdmigrate.errors import BadInput, MigrationLoadError


@dataclass(frozen=True)
class Revision:
    id: str
    down: tuple[str, ...]
    """The revisions it follows (two or more for a merge, none for a base)."""
    path: Path


def version_folders(ini: Path) -> list[Path]:
    """The folders that hold the revisions of the project configured by ``ini``."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    if not ini.is_file():
        raise MigrationLoadError(str(ini), "no such file")
    try:
        script = ScriptDirectory.from_config(Config(str(ini)))
    except (CommandError, KeyError, ValueError) as exc:  # no [alembic] section, bad location
        raise MigrationLoadError(str(ini), f"not a usable alembic.ini: {exc}") from None
    named = [Path(p) for p in script.version_locations]
    return named or [Path(script.dir) / "versions"]


def read_history(ini: Path) -> list[Revision]:
    """Every revision of the project, each after the ones it follows."""
    revisions: dict[str, Revision] = {}
    for folder in version_folders(ini):
        for path in sorted(folder.glob("*.py")) if folder.is_dir() else []:
            revision = _read_revision(path)
            if revision is None:
                continue
            if revision.id in revisions:
                other = revisions[revision.id].path
                raise MigrationLoadError(str(path), f"revision {revision.id!r} is also in {other}")
            revisions[revision.id] = revision
    if not revisions:
        raise MigrationLoadError(str(ini), "no revisions in its version folders")
    for revision in revisions.values():
        for down in revision.down:
            if down not in revisions:
                raise MigrationLoadError(
                    str(revision.path), f"down_revision {down!r} is not a revision of this project"
                )
    return _parents_first(revisions)


def _read_revision(path: Path) -> Revision | None:
    """The revision a file declares, or None for a file that declares none (a helper)."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    except SyntaxError as exc:
        raise MigrationLoadError(str(path), f"line {exc.lineno}: SyntaxError: {exc.msg}") from None
    values: dict[str, object] = {}
    for node in tree.body:
        target, value = None, None
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        if isinstance(target, ast.Name) and target.id in ("revision", "down_revision"):
            try:
                values[target.id] = ast.literal_eval(value) if value is not None else None
            except ValueError:
                raise MigrationLoadError(
                    str(path), f"line {node.lineno}: {target.id} is not a literal"
                ) from None
    revision, down = values.get("revision"), values.get("down_revision")
    if revision is None:
        return None
    if not isinstance(revision, str) or not revision:
        raise MigrationLoadError(str(path), f"revision is {revision!r}, not a string")
    downs = (down,) if isinstance(down, str) else tuple(down or ())  # type: ignore[arg-type]
    if not all(isinstance(d, str) for d in downs):
        raise MigrationLoadError(str(path), f"down_revision is {down!r}")
    return Revision(revision, downs, path)


def _parents_first(revisions: dict[str, Revision]) -> list[Revision]:
    """A topological order, ties broken by file name so that it is the same on every run."""
    waiting = {r.id: len(r.down) for r in revisions.values()}
    children: dict[str, list[str]] = {}
    for r in revisions.values():
        for down in r.down:
            children.setdefault(down, []).append(r.id)
    ready = sorted((r for r in revisions.values() if not r.down), key=lambda r: r.path.name)
    ordered: list[Revision] = []
    while ready:
        current = ready.pop(0)
        ordered.append(current)
        for child in children.get(current.id, []):
            waiting[child] -= 1
            if not waiting[child]:
                ready.append(revisions[child])
                ready.sort(key=lambda r: r.path.name)
    if len(ordered) < len(revisions):
        stuck = sorted(set(revisions) - {r.id for r in ordered})
        raise BadInput(f"{revisions[stuck[0]].path}: revisions {', '.join(stuck)} form a cycle")
    return ordered


def select(revisions: list[Revision], span: str | None) -> tuple[list[Revision], list[Revision]]:
    """``A:B`` as ``alembic upgrade A:B`` reads it: the revisions after A up to B (both may be
    a unique prefix of an id; A may be ``base`` or empty, B ``head``/``heads`` or empty).
    Returns (history, wanted): the revisions up to A, which make the schema A stands on, and
    the ones to plan."""
    if span is None:
        return [], revisions
    start, colon, end = span.partition(":")
    if not colon:
        raise BadInput(f"--range {span!r}: expected FROM:TO, e.g. base:head or ae10:27c6")
    by_id = {r.id: r for r in revisions}
    upto = (
        _ancestors(_find(end, revisions, "TO"), by_id) if end not in ("", "head", "heads") else None
    )
    done = (
        _ancestors(_find(start, revisions, "FROM"), by_id) if start not in ("", "base") else set()
    )
    history = [r for r in revisions if r.id in done]
    wanted = [r for r in revisions if r.id not in done and (upto is None or r.id in upto)]
    if not wanted:
        raise BadInput(f"--range {span!r}: no revision in it")
    return history, wanted


def _find(prefix: str, revisions: list[Revision], which: str) -> Revision:
    matches = [r for r in revisions if r.id.startswith(prefix)]
    if len(matches) != 1:
        how = "no revision" if not matches else f"{len(matches)} revisions"
        raise BadInput(f"--range: {which} {prefix!r} matches {how}")
    return matches[0]


def _ancestors(revision: Revision, by_id: dict[str, Revision]) -> set[str]:
    """``revision`` and every revision it follows."""
    found, todo = set(), [revision.id]
    while todo:
        current = todo.pop()
        if current not in found:
            found.add(current)
            todo += by_id[current].down
    return found
