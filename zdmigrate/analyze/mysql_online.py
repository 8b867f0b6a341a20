"""What InnoDB does with each ALTER TABLE change, per server and version: the online DDL facts.

MySQL 8 and MariaDB rank the ways to run an ALTER from cheapest to dearest; the server takes the
cheapest one that every change of the statement allows:

- INSTANT: only the data dictionary changes;
- NOCOPY: in place without rebuilding the table (an index is built or dropped). MariaDB names it
  NOCOPY; MySQL calls it INPLACE and its manual says "Rebuilds Table: No";
- INPLACE: the table is rebuilt in place. Reads and writes go on (the writes are logged and
  replayed at the end), but it takes as long as a copy and replicas apply it in one piece;
- COPY: the table is copied row by row under a lock that blocks writes for the whole copy.

Sources: the MySQL 8.0 manual's "Online DDL Operations" tables, and MariaDB's "InnoDB Online DDL
Operations with ALGORITHM=INSTANT/NOCOPY/INPLACE" pages. Every MariaDB fact here was also
checked on a MariaDB 10.11 server with ``ALGORITHM=…`` clauses (tests/test_analyze_mysql.py
repeats a dozen of them); the MySQL facts come from the manual alone. Tables are assumed to be
InnoDB with the default DYNAMIC row format, and without a FULLTEXT index where that matters
(the schema model does not record index kinds).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from zdmigrate.analyze.mysql_tokens import ColumnType


class Algorithm(IntEnum):
    """Cheapest first, as the servers rank them."""

    INSTANT = 0
    NOCOPY = 1
    INPLACE = 2
    COPY = 3


class Lock(IntEnum):
    """The LOCK clause's levels, weakest first."""

    NONE = 0
    SHARED = 1
    EXCLUSIVE = 2


@dataclass(frozen=True)
class Cost:
    """What one change of an ALTER needs from the server."""

    best: Algorithm
    """The cheapest algorithm the server has for this change on its own."""
    fallback: Algorithm
    """What the change costs when it cannot be INSTANT: another change of the same statement
    is not instant, or (MySQL) the statement asks for ALGORITHM=INPLACE. Adding a column then
    rebuilds the table, renaming one still only changes metadata."""
    lock: Lock = Lock.NONE
    """The weakest LOCK the work allows: SHARED where concurrent writes are not supported."""
    scan: bool = False
    """The change reads every row (an index build, a NOT NULL check)."""


def instant(fallback: Algorithm = Algorithm.NOCOPY) -> Cost:
    return Cost(Algorithm.INSTANT, fallback)


NOCOPY = Cost(Algorithm.NOCOPY, Algorithm.NOCOPY)
REBUILD = Cost(Algorithm.INPLACE, Algorithm.INPLACE)
COPY = Cost(Algorithm.COPY, Algorithm.COPY, Lock.SHARED, scan=True)
INSTANT_OR_REBUILD = instant(Algorithm.INPLACE)

BYTES_PER_CHARACTER = {
    **dict.fromkeys(("latin1", "latin2", "ascii", "binary", "cp1250", "cp1251", "cp1252"), 1),
    **dict.fromkeys(("ucs2", "big5", "gbk", "sjis", "euckr", "gb2312"), 2),
    **dict.fromkeys(("utf8", "utf8mb3", "ujis", "eucjpms"), 3),
    **dict.fromkeys(("utf8mb4", "utf16", "utf16le", "utf32", "gb18030"), 4),
}
ASSUMED_CHARSET = "utf8mb4"
"""The character set of a column whose table's default the model does not know: MySQL 8's
default, and the widest common one, so that a length limit is never missed."""


def bytes_per_character(charset: str | None) -> int:
    return BYTES_PER_CHARACTER.get((charset or ASSUMED_CHARSET).lower(), 4)


@dataclass(frozen=True)
class Server:
    """The facts of one server version. Methods return the :class:`Cost` of one change."""

    mariadb: bool
    version: tuple[int, ...]

    @property
    def label(self) -> str:
        return f"{'MariaDB' if self.mariadb else 'MySQL'} {'.'.join(map(str, self.version))}"

    def algorithm_name(self, algorithm: Algorithm) -> str:
        """MySQL has no NOCOPY: its in-place work without a rebuild is called INPLACE."""
        if algorithm is Algorithm.NOCOPY and not self.mariadb:
            return "INPLACE"
        return algorithm.name

    def knows(self, algorithm: Algorithm) -> bool:
        """Whether the server accepts ``ALGORITHM=`` this name at all."""
        return self.mariadb or algorithm is not Algorithm.NOCOPY

    # --- columns ---------------------------------------------------------------------------

    def add_column(self, *, last: bool, auto_increment: bool, generated: str | None) -> Cost:
        if generated == "STORED":
            return COPY  # every row gets the computed value written
        if generated == "VIRTUAL":
            return instant()
        if auto_increment:
            # Every existing row is numbered: in place, but writes cannot go on meanwhile.
            return Cost(Algorithm.INPLACE, Algorithm.INPLACE, Lock.SHARED, scan=True)
        if self.mariadb:
            return INSTANT_OR_REBUILD if self.version >= (10, 4) or last else REBUILD
        if self.version >= (8, 0, 29) or (self.version >= (8, 0, 12) and last):
            return INSTANT_OR_REBUILD
        return REBUILD

    def drop_column(self, *, indexed: bool, in_primary_key: bool) -> Cost:
        if in_primary_key:
            return COPY  # the primary key goes with it, as DROP PRIMARY KEY
        if self.mariadb:
            if self.version < (10, 4):
                return REBUILD
            return NOCOPY if indexed else INSTANT_OR_REBUILD  # its indexes are dropped too
        if self.version >= (8, 0, 29) and not indexed:
            return INSTANT_OR_REBUILD
        return REBUILD

    def rename_column(self) -> Cost:
        if self.mariadb or self.version >= (8, 0, 28):
            return instant()
        return NOCOPY

    def reorder_column(self) -> Cost:
        return INSTANT_OR_REBUILD if self.mariadb and self.version >= (10, 4) else REBUILD

    def set_default(self) -> Cost:
        return instant()

    def change_nullability(self) -> Cost:
        """NULL → NOT NULL (checks every row) or back: the table is rebuilt in place on both
        servers (MariaDB does it instantly only in ROW_FORMAT=REDUNDANT)."""
        return REBUILD

    def retype(self, old: ColumnType, new: ColumnType, table_charset: str | None) -> Cost:
        """A column's type changes (``old.text != new.text``). Only a longer VARCHAR or
        VARBINARY, and ENUM/SET members added at the end, avoid a copy."""
        same_kind = old.kind == new.kind
        if same_kind and old.kind in ("VARCHAR", "VARBINARY") and old.length and new.length:
            charset = old.effective_charset or table_charset
            unit = 1 if old.kind == "VARBINARY" else bytes_per_character(charset)
            return self.varchar_extension(old.length * unit, new.length * unit)
        appended = new.members[: len(old.members)] == old.members
        if same_kind and old.kind in ("ENUM", "SET") and appended:
            return self.enum_append(same_storage=old.member_bytes == new.member_bytes)
        return COPY

    def varchar_extension(self, old_bytes: int, new_bytes: int) -> Cost:
        """A longer VARCHAR. InnoDB stores a length of up to 255 bytes in one byte and a longer
        one in two; a change of that prefix needs every row rewritten."""
        if new_bytes < old_bytes:
            return COPY
        if self.mariadb:
            # DYNAMIC/COMPACT rows store values under 128 bytes with a one-byte length even in
            # a long column, so a column that never held 128 bytes can grow past 255 instantly.
            if new_bytes <= 255 or old_bytes > 255 or old_bytes <= 127:
                return instant()
            return COPY
        if (old_bytes <= 255) == (new_bytes <= 255):
            return NOCOPY  # "Extending VARCHAR column size: In Place, Only Modifies Metadata"
        return COPY

    def charset_change(self, old: str | None, new: str | None, *, indexed: bool) -> Cost:
        """A column's character set or collation changes, its type otherwise the same."""
        if self.mariadb:
            widening = (old or "").lower() in ("utf8", "utf8mb3") and (new or "") == "utf8mb4"
            if old == new or widening:
                return NOCOPY if indexed else instant()  # an index is rebuilt for the new order
        return COPY

    def enum_append(self, *, same_storage: bool) -> Cost:
        """ENUM/SET members added at the end: metadata only while the storage size stays."""
        return instant() if same_storage else COPY

    def column_metadata(self) -> Cost:
        """A comment, or a column's visibility: the data dictionary alone."""
        return instant()

    # --- indexes and constraints -------------------------------------------------------------

    def add_index(self, kind: str | None) -> Cost:
        if kind == "FULLTEXT":
            # The first FULLTEXT index adds the hidden FTS_DOC_ID column: a rebuild, writes held.
            return Cost(Algorithm.INPLACE, Algorithm.INPLACE, Lock.SHARED, scan=True)
        if kind == "SPATIAL":
            return Cost(Algorithm.NOCOPY, Algorithm.NOCOPY, Lock.SHARED, scan=True)
        return Cost(Algorithm.NOCOPY, Algorithm.NOCOPY, scan=True)

    def drop_index(self) -> Cost:
        return NOCOPY

    def rename_index(self) -> Cost:
        return instant() if self.mariadb else NOCOPY

    def index_visibility(self) -> Cost:
        return instant()

    def add_primary_key(self) -> Cost:
        return Cost(Algorithm.INPLACE, Algorithm.INPLACE, scan=True)

    def drop_primary_key(self, *, replaced: bool) -> Cost:
        """Without a new one in the same statement, InnoDB must invent a hidden clustered key."""
        return REBUILD if replaced else COPY

    def add_foreign_key(self, *, checks_off: bool, index_exists: bool) -> Cost:
        """With foreign_key_checks on, the server checks every row by copying the table."""
        if not checks_off:
            return COPY
        if self.mariadb and index_exists:
            return instant()
        return NOCOPY  # the index the key needs is built, or (MySQL) metadata only

    def drop_foreign_key(self) -> Cost:
        return instant() if self.mariadb else NOCOPY

    def add_check(self, *, enforced: bool) -> Cost:
        return COPY if enforced else NOCOPY

    def drop_check(self) -> Cost:
        return instant() if self.mariadb else NOCOPY

    # --- the table as a whole --------------------------------------------------------------

    def rebuild(self) -> Cost:
        """FORCE, ENGINE=InnoDB, OPTIMIZE TABLE, ROW_FORMAT=, KEY_BLOCK_SIZE=."""
        return REBUILD

    def table_metadata(self) -> Cost:
        """COMMENT=, AUTO_INCREMENT=, STATS_…= (MySQL: in place, metadata only)."""
        return instant() if self.mariadb else NOCOPY

    def table_default_charset(self) -> Cost:
        """DEFAULT CHARACTER SET: only later columns are affected. MariaDB changes metadata;
        MySQL's manual lists it as a rebuild."""
        return instant() if self.mariadb else REBUILD

    def rename_table(self) -> Cost:
        return instant()


@dataclass(frozen=True)
class Verdict:
    """How the server runs one ALTER statement, or why it refuses it."""

    algorithm: Algorithm
    lock: Lock
    refused: str | None = None
    """The server's refusal of an explicit ALGORITHM= or LOCK= clause, if it refuses."""


def decide(
    server: Server,
    costs: list[Cost],
    algorithm: Algorithm | None,
    lock: Lock | None,
) -> Verdict:
    """The algorithm and lock of a statement made of ``costs``, given the ALGORITHM= and LOCK=
    it asks for (None: DEFAULT).

    Without a clause the server takes the cheapest algorithm every change allows and the
    weakest lock. An ALGORITHM= cheaper than that, or a LOCK= weaker than the work allows,
    makes the statement fail (errors 1845/1846). ALGORITHM=COPY always copies. MariaDB reads
    any other ALGORITHM= as the dearest it accepts and still takes the cheapest possible;
    MySQL runs ALGORITHM=INPLACE in place even where INSTANT was possible (an added column
    then rebuilds the table), and allows only LOCK=DEFAULT with ALGORITHM=INSTANT.
    """
    all_instant = all(c.best is Algorithm.INSTANT for c in costs)
    possible = Algorithm.INSTANT if all_instant else max(c.fallback for c in costs)
    needed_lock = max((c.lock for c in costs), default=Lock.NONE)
    chosen = possible
    if algorithm is not None:
        name = server.algorithm_name(algorithm)
        if not server.knows(algorithm):
            return Verdict(possible, needed_lock, f"{server.label} has no ALGORITHM={name}")
        if algorithm is Algorithm.COPY:
            chosen = Algorithm.COPY
        elif not server.mariadb and algorithm is not Algorithm.INSTANT:
            # MySQL: INPLACE is what it says, even for a change that could be instant.
            chosen = max(c.fallback for c in costs)
        if chosen > algorithm:
            better = server.algorithm_name(chosen)
            return Verdict(
                chosen,
                needed_lock,
                f"ALGORITHM={name} is not supported for this change on {server.label}; "
                f"it needs ALGORITHM={better}",
            )
        if chosen is Algorithm.COPY:
            needed_lock = max(needed_lock, Lock.SHARED)
    if chosen is Algorithm.INSTANT:
        if algorithm is Algorithm.INSTANT and lock is not None and not server.mariadb:
            return Verdict(
                chosen, Lock.NONE, f"{server.label} allows only LOCK=DEFAULT with ALGORITHM=INSTANT"
            )
        return Verdict(chosen, Lock.NONE)
    if lock is not None and lock < needed_lock:
        return Verdict(
            chosen,
            needed_lock,
            f"LOCK={lock.name} is not supported: this change needs LOCK={needed_lock.name} "
            f"on {server.label}",
        )
    return Verdict(chosen, max(needed_lock, lock or Lock.NONE))
