"""Where zdmigrate's PostgreSQL analyser and squawk disagree, case by case, on our SQL corpus.

    .venv/bin/python benchmarks/squawk_compare.py [--all]

Both read every case of tests/sql_corpus/postgresql/ at its server version (``-- server: N``,
15 otherwise). zdmigrate also reads the corpus's _baseline.sql as the schema that exists, as
``zdmigrate plan --database-url`` would; squawk has no way to be told it. squawk's findings are
mapped to the zdmigrate rule that covers the same problem (SQUAWK_TO_ZDMIGRATE); one with no
counterpart counts as its own problem. A case disagrees where one tool names a problem the other
does not. Prints one line per disagreeing case, then the disagreements counted by rule.

Two squawk rules are left out of the case lines unless ``--all``, because they would sit on
nearly every line and say nothing about the case: require-lock-timeout and
require-statement-timeout are compared only on the cases marked ``-- runner: external``
(``zdmigrate run`` sets both timeouts itself), and prefer-robust-stmts (IF NOT EXISTS) has no
counterpart by design. Both are still counted in the summary.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.test_analyze_postgresql import CORPUS, CorpusCase, corpus_cases  # noqa: E402

SQUAWK = Path(sys.executable).parent / "squawk"

SQUAWK_TO_ZDMIGRATE: dict[str, tuple[str, ...]] = {
    "require-concurrent-index-creation": ("ZD301",),
    "require-concurrent-index-deletion": ("ZD302",),
    "require-concurrent-reindex": ("ZD303",),
    "ban-concurrent-index-creation-in-transaction": ("ZD304",),
    "prefer-repack": ("ZD305",),
    "adding-field-with-default": ("ZD306",),
    "adding-required-field": ("ZD307",),
    "changing-column-type": ("ZD308",),
    "adding-not-nullable-field": ("ZD309",),
    "constraint-missing-not-valid": ("ZD310", "ZD311"),
    "adding-foreign-key-constraint": ("ZD310", "ZD311"),
    "ban-alter-domain-with-add-constraint": ("ZD310",),
    "disallowed-unique-constraint": ("ZD312",),
    "adding-serial-primary-key-field": ("ZD312",),
    "adding-primary-key-constraint": ("ZD312",),
    "renaming-column": ("ZD313",),
    "renaming-table": ("ZD314",),
    "renaming-object": ("ZD313", "ZD314", "ZD317"),
    "ban-set-schema": ("ZD314",),
    "ban-drop-column": ("ZD315",),
    "ban-drop-table": ("ZD316",),
    "ban-drop-view": ("ZD316",),
    "ban-drop-default": ("ZD331",),
    "ban-drop-constraint": ("ZD332",),
    "ban-drop-database": ("ZD316",),
    "ban-drop-type": ("ZD318",),
    "require-lock-timeout": ("ZD321",),
    "require-statement-timeout": ("ZD321",),
    "require-timeout-settings": ("ZD321",),
    "ban-truncate-cascade": ("ZD323",),
    "transaction-nesting": ("ZD325",),
    "ban-uncommitted-transaction": ("ZD325",),
    "require-concurrent-partition-detach": ("ZD330",),
    "prefer-bigint-over-int": ("ZD327",),
    "prefer-bigint-over-smallint": ("ZD327",),
    "prefer-big-int": ("ZD327",),
    "prefer-identity": ("ZD327",),
    "ban-char-field": ("ZD328",),
    "prefer-timestamp-tz": ("ZD329",),
}
TIMEOUT_RULES = frozenset({"require-lock-timeout", "require-statement-timeout"})
NOISE = frozenset({"prefer-robust-stmts"})


def squawk_rules(cases: list[CorpusCase]) -> dict[str, set[str]]:
    """Case name → the squawk rules it breaks, squawk told each case's server version."""
    by_version: dict[str, list[CorpusCase]] = defaultdict(list)
    for case in cases:
        by_version[case.server].append(case)
    found: dict[str, set[str]] = {case.name: set() for case in cases}
    for version, group in by_version.items():
        command = [str(SQUAWK), "--reporter", "json", f"--pg-version={version}.0"]
        result = subprocess.run(
            [*command, *(case.path.name for case in group)],
            cwd=CORPUS,
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode not in (0, 1, 2, 3):
            raise SystemExit(f"squawk failed: {result.stderr.strip()}")
        for violation in json.loads(result.stdout or "[]"):
            found[Path(violation["file"]).stem].add(violation["rule_name"])
    return found


def compare(case: CorpusCase, rules: set[str], *, everything: bool) -> tuple[list[str], list[str]]:
    """(what only squawk flags, what only zdmigrate flags) for one case."""
    ours = case.codes()
    shown = set(rules)
    if not everything:
        shown -= NOISE
        if not case.external_runner:
            shown -= TIMEOUT_RULES
    squawk_only = sorted(
        rule for rule in shown if not set(SQUAWK_TO_ZDMIGRATE.get(rule, ())) & ours
    )
    covered = {code for rule in shown for code in SQUAWK_TO_ZDMIGRATE.get(rule, ())}
    ours_only = sorted(ours - covered)
    return squawk_only, ours_only


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--all", action="store_true", help="show timeout and IF NOT EXISTS rules")
    everything = parser.parse_args().all
    cases = corpus_cases()
    found = squawk_rules(cases)
    squawk_counts: Counter[str] = Counter()
    ours_counts: Counter[str] = Counter()
    rows = []
    for case in cases:
        squawk_only, ours_only = compare(case, found[case.name], everything=everything)
        for rule in compare(case, found[case.name], everything=True)[0]:
            squawk_counts[rule] += 1
        ours_counts.update(ours_only)
        if squawk_only or ours_only:
            rows.append((case.name, ", ".join(squawk_only) or "-", ", ".join(ours_only) or "-"))
    width = max(len(name) for name, _, _ in rows) if rows else 10
    print(
        f"{'case':<{width}}  {'squawk flags, zdmigrate does not':<45}  zdmigrate flags, squawk not"
    )
    for name, squawk_only, ours_only in rows:
        print(f"{name:<{width}}  {squawk_only:<45}  {ours_only}")
    agree = len(cases) - len(rows)
    print(f"\n{len(cases)} cases: {agree} agree, {len(rows)} disagree")
    print("\nsquawk flags, zdmigrate does not (cases, every rule counted):")
    for rule, count in squawk_counts.most_common():
        print(f"  {count:3d}  {rule}")
    print("zdmigrate flags, squawk does not (cases):")
    for code, count in ours_counts.most_common():
        print(f"  {count:3d}  {code}")


if __name__ == "__main__":
    main()
