"""A plain Alembic history, read from ``alembic.ini`` without importing a revision.

Alembic imports every revision file to build its revision map, so one file that imports a
module missing here would stop the whole history from loading. The graph is read instead from
each file's ``revision``, ``down_revision``, ``depends_on`` and ``branch_labels`` assignments
(literals in every template Alembic has shipped), and a revision is imported only when it is
recorded, on its own.
"""

from __future__ import annotations

import ast
import configparser
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from zdmigrate.errors import BadInput, MigrationLoadError

if TYPE_CHECKING:
    from alembic.script import ScriptDirectory


@dataclass(frozen=True)
class Revision:
    id: str
    down: tuple[str, ...]
    """The revisions it follows (two or more for a merge, none for a base)."""
    path: Path
    depends_on: tuple[str, ...] = ()
    """Revisions (or branch labels, until :func:`read_history` resolves them) that must run
    before it, from another branch: Alembic orders and ranges by them as by ``down``."""
    labels: tuple[str, ...] = ()

    @property
    def parents(self) -> tuple[str, ...]:
        return self.down + self.depends_on


def version_folders(ini: Path) -> tuple[list[Path], bool]:
    """The folders that hold the revisions of the project configured by ``ini``, and whether
    their subfolders do too (``recursive_version_locations``)."""
    from alembic.config import Config
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    if not ini.is_file():
        raise MigrationLoadError(str(ini), "no such file")
    try:
        script = ScriptDirectory.from_config(Config(str(ini)))
    except (CommandError, KeyError, ValueError, configparser.Error) as exc:
        reason = " ".join(str(exc).split())
        raise MigrationLoadError(str(ini), f"not a usable alembic.ini: {reason}") from None
    return version_folders_of(script)


def version_folders_of(script: ScriptDirectory) -> tuple[list[Path], bool]:
    named = [Path(p) for p in script.version_locations]
    return named or [Path(script.dir) / "versions"], script.recursive_version_locations


def read_history(ini: Path) -> list[Revision]:
    """Every revision of the project configured by ``ini``, each after the ones it follows."""
    revisions = read_history_in(*version_folders(ini))
    if not revisions:
        raise MigrationLoadError(str(ini), "no revisions in its version folders")
    return revisions


def read_history_in(folders: list[Path], recursive: bool) -> list[Revision]:
    """Every revision in ``folders``, each after the ones it follows."""
    revisions: dict[str, Revision] = {}
    for folder in folders:
        files = folder.rglob("*.py") if recursive else folder.glob("*.py")
        for path in sorted(files) if folder.is_dir() else []:
            revision = _read_revision(path)
            if revision is None:
                continue
            if revision.id in revisions:
                other = revisions[revision.id].path
                raise MigrationLoadError(str(path), f"revision {revision.id!r} is also in {other}")
            revisions[revision.id] = revision
    labelled = {label: r.id for r in revisions.values() for label in r.labels}
    for revision in list(revisions.values()):
        depends = tuple(labelled.get(d, d) for d in revision.depends_on)
        for name, ids in (("down_revision", revision.down), ("depends_on", depends)):
            for needed in ids:
                if needed not in revisions:
                    raise MigrationLoadError(
                        str(revision.path), f"{name} {needed!r} is not a revision of this project"
                    )
        revisions[revision.id] = replace(revision, depends_on=depends)
    return _parents_first(revisions)


def _read_revision(path: Path) -> Revision | None:
    """The revision a file declares, or None for a file that declares none (a helper)."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8-sig"), str(path))
    except SyntaxError as exc:
        raise MigrationLoadError(str(path), f"SyntaxError: {exc.msg}", exc.lineno) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise MigrationLoadError(str(path), f"cannot read: {exc}") from None
    names = ("revision", "down_revision", "depends_on", "branch_labels")
    values: dict[str, object] = {}
    for node in tree.body:
        target, value = None, None
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        if isinstance(target, ast.Name) and target.id in names:
            try:
                values[target.id] = ast.literal_eval(value) if value is not None else None
            except ValueError:
                raise MigrationLoadError(
                    str(path), f"{target.id} is not a literal", node.lineno
                ) from None
    revision = values.get("revision")
    if revision is None:
        return None
    if not isinstance(revision, str) or not revision:
        raise MigrationLoadError(str(path), f"revision is {revision!r}, not a string")
    down, depends, labels = (_ids(values.get(name), name, path) for name in names[1:])
    return Revision(revision, down, path, depends_on=depends, labels=labels)


def _ids(value: object, name: str, path: Path) -> tuple[str, ...]:
    """A string, a tuple or list of them, or None, as Alembic takes them."""
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, tuple | list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise MigrationLoadError(
        str(path), f"{name} is {value!r}: expected a string or a tuple of them"
    )


def _parents_first(revisions: dict[str, Revision]) -> list[Revision]:
    """A topological order, ties broken by file name so that it is the same on every run."""
    waiting = {r.id: len(set(r.parents)) for r in revisions.values()}
    children: dict[str, list[str]] = {}
    for r in revisions.values():
        for parent in set(r.parents):
            children.setdefault(parent, []).append(r.id)
    ready = sorted((r for r in revisions.values() if not r.parents), key=lambda r: r.path.name)
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
    heads = set(by_id) - {parent for r in revisions for parent in r.parents}
    if end == "head" and len(heads) > 1:
        raise BadInput(
            f"--range {span!r}: the history has {len(heads)} heads ({', '.join(sorted(heads))}): "
            "name one, or say heads"
        )
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
            todo += by_id[current].parents
    return found
