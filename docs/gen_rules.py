"""Write docs/rules/index.md and the Rules section of mkdocs.yml's nav from the rule registry.

    .venv/bin/python docs/gen_rules.py

tests/test_docs.py checks that both are up to date and that every rule has its page.
"""

from __future__ import annotations

from pathlib import Path

DOCS = Path(__file__).resolve().parent
MKDOCS = DOCS.parent / "mkdocs.yml"
GROUPS = {
    "ZD1": "Compatibility with the apps",
    "ZD2": "Locks of any statement",
    "ZD3": "PostgreSQL SQL",
    "ZD4": "MySQL and MariaDB SQL",
    "ZD5": "Alembic revisions",
}
NAV_BEGIN = "  - Rules:\n"


def all_rules() -> list[tuple[str, str, str, str]]:
    """(code, name, severity, summary) of every rule, in code order."""
    import zdmigrate.alembic.record
    import zdmigrate.analyze.mysql
    import zdmigrate.analyze.postgresql
    import zdmigrate.plan.compat
    import zdmigrate.plan.planner  # noqa: F401  (each module registers its rules)
    from zdmigrate.findings import RULES

    return [(r.code, r.name, str(r.severity), r.summary) for _, r in sorted(RULES.items())]


def index_page() -> str:
    lines = [
        "# Rules",
        "",
        "Every finding of `zdmigrate plan` comes from one of these rules. Codes are stable: a",
        "code never changes meaning and is never reused. Each page gives the problem, an",
        "example and the safe recipe. Accept a finding with a reason (see",
        "[Accepting a finding](../plan.md#accepting-a-finding)).",
    ]
    rules = all_rules()
    for prefix, title in GROUPS.items():
        lines += [
            "",
            f"## {title}",
            "",
            "| code | name | severity | what it catches |",
            "|---|---|---|---|",
        ]
        for code, name, severity, summary in rules:
            if code.startswith(prefix):
                lines.append(f"| [{code}]({code}.md) | {name} | {severity} | {summary} |")
    return "\n".join(lines) + "\n"


def nav() -> str:
    entries = [NAV_BEGIN, "      - rules/index.md\n"]
    for prefix, title in GROUPS.items():
        entries.append(f"      - {title}:\n")
        entries += [
            f"          - {code} {name}: rules/{code}.md\n"
            for code, name, _, _ in all_rules()
            if code.startswith(prefix)
        ]
    return "".join(entries)


def mkdocs_with_nav() -> str:
    """mkdocs.yml with its Rules section (the last of the nav) written anew."""
    text = MKDOCS.read_text()
    head = text.split(NAV_BEGIN)[0]
    return head.rstrip("\n") + "\n" + nav()


def main() -> None:
    (DOCS / "rules" / "index.md").write_text(index_page())
    MKDOCS.write_text(mkdocs_with_nav())


if __name__ == "__main__":
    main()
