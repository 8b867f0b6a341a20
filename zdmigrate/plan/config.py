"""``[tool.zdmigrate]`` in pyproject.toml: defaults for ``zdmigrate plan`` and accepted findings.

```toml
[tool.zdmigrate]
dialect = "postgresql"
server-version = "15"
fail-on = "warning"
old-app = "myapp.models.v1:Base"
new-app = "myapp.models:Base"
external-runner = false

[tool.zdmigrate.ignore]
ZD201 = "every table here is small; brief locks are fine"
```

The file is found in the current directory or the nearest one above it. Options given on the
command line win over the file.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from zdmigrate.errors import BadInput

CHOICES = {
    "dialect": ("postgresql", "mysql", "mariadb"),
    "fail-on": ("error", "warning", "info", "never"),
}
OPTIONS = ("dialect", "server-version", "fail-on", "old-app", "new-app", "external-runner")


@dataclass(frozen=True)
class Config:
    options: dict[str, str | bool] = field(default_factory=dict)
    """Option name as on the command line, without ``--`` → value."""
    ignore: dict[str, str] = field(default_factory=dict)
    """Rule code → the reason it is accepted everywhere."""
    source: Path | None = None


def find_pyproject(start: Path) -> Path | None:
    for folder in (start, *start.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def load_config(start: Path | None = None) -> Config:
    """The ``[tool.zdmigrate]`` table of the nearest pyproject.toml; empty if there is none."""
    source = find_pyproject((start or Path.cwd()).resolve())
    if source is None:
        return Config()
    try:
        document = tomllib.loads(source.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise BadInput(f"{source}: {exc}") from None
    tool = document.get("tool", {})
    table = tool.get("zdmigrate", {}) if isinstance(tool, dict) else None
    if not isinstance(table, dict):
        raise BadInput(f"{source}: [tool.zdmigrate] must be a table")
    options: dict[str, str | bool] = {}
    ignore: dict[str, str] = {}
    for key, value in table.items():
        if key == "ignore":
            ignore = _ignores(value, source)
        elif key not in OPTIONS:
            known = ", ".join((*OPTIONS, "ignore"))
            raise BadInput(f"{source}: [tool.zdmigrate] has unknown key {key!r} (known: {known})")
        elif key == "external-runner":
            if not isinstance(value, bool):
                raise BadInput(f"{source}: [tool.zdmigrate] external-runner must be true or false")
            options[key] = value
        elif not isinstance(value, str):
            raise BadInput(f"{source}: [tool.zdmigrate] {key} must be a string")
        elif key in CHOICES and value not in CHOICES[key]:
            expected = ", ".join(CHOICES[key])
            raise BadInput(
                f"{source}: [tool.zdmigrate] {key} = {value!r}: expected one of {expected}"
            )
        else:
            options[key] = value
    return Config(options=options, ignore=ignore, source=source)


def _ignores(value: object, source: Path) -> dict[str, str]:
    if not isinstance(value, dict):
        raise BadInput(
            f'{source}: [tool.zdmigrate.ignore] must map rule codes to reasons: ZD201 = "why"'
        )
    for code, reason in value.items():
        if not isinstance(reason, str) or not reason.strip():
            raise BadInput(f"{source}: [tool.zdmigrate.ignore] {code} needs a reason")
    return {str(code): str(reason) for code, reason in value.items()}
