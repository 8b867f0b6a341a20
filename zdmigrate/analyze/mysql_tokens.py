"""Reading MySQL statements with sqlglot: its tokens, and its parser for column definitions.

sqlglot parses most MySQL DDL into a tree, but falls back to an opaque Command for forms it does
not know (``CONVERT TO CHARACTER SET``, ``ADD COLUMN (a INT, b INT)``, MariaDB's ``WAIT n``, a
``CHECK … NOT ENFORCED``), and then the whole statement is opaque. So statements are walked here
clause by clause over sqlglot's tokens, and sqlglot's parser reads what it reads well: one column
definition at a time (type, character set, NULL, default, AUTO_INCREMENT, generated, position).
Index and constraint definitions are short and regular, and read from the tokens.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache

from sqlglot import Token, TokenType, exp
from sqlglot.dialects.mysql import MySQL
from sqlglot.errors import ParseError

from zdmigrate.schema import Column

STRING_TOKENS = frozenset(
    {
        TokenType.STRING,
        TokenType.NATIONAL_STRING,
        TokenType.HEX_STRING,
        TokenType.BIT_STRING,
        TokenType.BYTE_STRING,
        TokenType.RAW_STRING,
    }
)
NAME_EXCLUDED = STRING_TOKENS | {
    TokenType.L_PAREN,
    TokenType.R_PAREN,
    TokenType.COMMA,
    TokenType.DOT,
    TokenType.EQ,
    TokenType.NUMBER,
    TokenType.SEMICOLON,
}
MYSQL = MySQL()

NormalizeType = Callable[[str], str]
"""The dialect's one spelling of a type (``Dialect.normalize_type``)."""


class Unreadable(Exception):
    """SQL the reader cannot make sense of: the message says what was expected."""


COMMANDS = frozenset(MySQL.Tokenizer.COMMANDS)


def tokenize(sql: str) -> list[Token]:
    """sqlglot's tokens of ``sql``. A statement that sqlglot's tokenizer treats as an opaque
    command (``RENAME``, ``OPTIMIZE``, ``LOCK TABLES``…) keeps its text in one string token;
    that text is tokenized too, so that every statement is a list of real tokens whose offsets
    point into ``sql``."""
    tokens = MYSQL.tokenizer().tokenize(sql)
    expanded: list[Token] = []
    for i, token in enumerate(tokens):
        command = expanded[-1] if expanded else None
        if (
            command is not None
            and command.token_type in COMMANDS
            and token.token_type is TokenType.STRING
            and (i < 2 or tokens[i - 2].token_type is TokenType.SEMICOLON)
        ):
            base = command.end + 1
            expanded += [_shifted(t, base) for t in tokenize(sql[base : token.end + 1])]
        else:
            expanded.append(token)
    return expanded


def _shifted(token: Token, offset: int) -> Token:
    return Token(
        token.token_type,
        token.text,
        token.line,
        token.col,
        token.start + offset,
        token.end + offset,
        token.comments,
    )


def words(token: Token) -> list[str]:
    """A keyword token's words in upper case ("PRIMARY KEY" is one sqlglot token); none for a
    quoted name or a string."""
    if token.token_type in STRING_TOKENS or token.token_type is TokenType.IDENTIFIER:
        return []
    return token.text.upper().split()


def source(sql: str, tokens: Sequence[Token]) -> str:
    """The text ``tokens`` span in ``sql``, as written."""
    return sql[tokens[0].start : tokens[-1].end + 1] if tokens else ""


def split_top(tokens: Sequence[Token]) -> list[list[Token]]:
    """``tokens`` cut at the commas outside parentheses."""
    parts: list[list[Token]] = [[]]
    depth = 0
    for token in tokens:
        if token.token_type is TokenType.L_PAREN:
            depth += 1
        elif token.token_type is TokenType.R_PAREN:
            depth -= 1
        elif token.token_type is TokenType.COMMA and depth == 0:
            parts.append([])
            continue
        parts[-1].append(token)
    return [p for p in parts if p]


class Cursor:
    """A position in a list of tokens, with keyword matching across sqlglot's multi-word
    tokens: ``accept("PRIMARY KEY")`` matches one token or two."""

    def __init__(self, tokens: Sequence[Token], sql: str) -> None:
        self.tokens = list(tokens)
        self.sql = sql
        self.i = 0

    def done(self) -> bool:
        return self.i >= len(self.tokens)

    def peek(self, ahead: int = 0) -> Token | None:
        i = self.i + ahead
        return self.tokens[i] if i < len(self.tokens) else None

    def _match(self, phrase: str) -> int:
        """How many tokens the words of ``phrase`` take from here; 0 if they do not follow."""
        wanted, i = phrase.upper().split(), self.i
        while wanted:
            if i >= len(self.tokens):
                return 0
            got = words(self.tokens[i])
            if not got or got != wanted[: len(got)]:
                return 0
            wanted, i = wanted[len(got) :], i + 1
        return i - self.i

    def at(self, *phrases: str) -> bool:
        return any(self._match(p) for p in phrases)

    def accept(self, *phrases: str) -> str | None:
        """Consume the first of ``phrases`` that follows and return it."""
        for phrase in phrases:
            taken = self._match(phrase)
            if taken:
                self.i += taken
                return phrase
        return None

    def expect(self, *phrases: str) -> str:
        found = self.accept(*phrases)
        if found is None:
            raise Unreadable(f"expected {' or '.join(phrases)} {self.where()}")
        return found

    def at_punct(self, kind: TokenType) -> bool:
        token = self.peek()
        return token is not None and token.token_type is kind

    def name(self) -> str:
        token = self.peek()
        if token is None or token.token_type in NAME_EXCLUDED:
            raise Unreadable(f"expected a name {self.where()}")
        self.i += 1
        return token.text

    def qualified_name(self) -> str:
        name = self.name()
        while self.at_punct(TokenType.DOT):
            self.i += 1
            name = f"{name}.{self.name()}"
        return name

    def value(self) -> str:
        """One option value (a name, number or string), after an optional ``=``."""
        if self.at_punct(TokenType.EQ):
            self.i += 1
        token = self.peek()
        if token is None:
            raise Unreadable(f"expected a value {self.where()}")
        self.i += 1
        return token.text

    def group(self) -> list[Token]:
        """The tokens inside the parentheses that follow."""
        if not self.at_punct(TokenType.L_PAREN):
            raise Unreadable(f"expected ( {self.where()}")
        depth, start = 0, self.i
        for i in range(self.i, len(self.tokens)):
            kind = self.tokens[i].token_type
            depth += kind is TokenType.L_PAREN
            depth -= kind is TokenType.R_PAREN
            if depth == 0:
                self.i = i + 1
                return self.tokens[start + 1 : i]
        raise Unreadable(f"unclosed ( {self.where()}")

    def rest(self) -> list[Token]:
        rest, self.i = self.tokens[self.i :], len(self.tokens)
        return rest

    def where(self) -> str:
        token = self.peek()
        return f"at {token.text!r}" if token else "at the end of the statement"


@contextmanager
def _quiet_fallbacks() -> Iterator[None]:
    """sqlglot logs a warning each time it falls back to an opaque Command; the reader handles
    those forms itself, so the warning would only be noise on the user's terminal."""
    logger = logging.getLogger("sqlglot")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def parse(tokens: list[Token], sql: str) -> list[exp.Expr | None]:
    """sqlglot's trees for ``tokens``; :class:`Unreadable` where it cannot parse them."""
    with _quiet_fallbacks():
        try:
            return MYSQL.parser().parse(tokens, sql)
        except ParseError as exc:
            first = exc.errors[0]["description"] if exc.errors else str(exc)
            raise Unreadable(first) from None


# --- column definitions ----------------------------------------------------------------------

_COLUMN_PREFIX = (
    Token(TokenType.ALTER, "ALTER"),
    Token(TokenType.TABLE, "TABLE"),
    Token(TokenType.VAR, "t"),
    Token(TokenType.VAR, "ADD"),
    Token(TokenType.COLUMN, "COLUMN"),
)


@dataclass(frozen=True)
class ColumnType:
    """A column type as the online DDL rules look at it."""

    text: str
    """The type without character set, as the dialect spells it: ``VARCHAR(20)``."""
    kind: str
    """sqlglot's name for it: VARCHAR, UINT, ENUM…"""
    length: int | None = None
    """Characters of a CHAR/VARCHAR/BINARY/VARBINARY."""
    members: tuple[str, ...] = ()
    """Values of an ENUM or SET."""
    charset: str | None = None
    collation: str | None = None

    @property
    def is_text(self) -> bool:
        """A type with a character set."""
        text_kinds = ("CHAR", "VARCHAR", "TEXT", "TINYTEXT", "MEDIUMTEXT", "LONGTEXT")
        return self.kind in (*text_kinds, "ENUM", "SET")

    @property
    def member_bytes(self) -> int:
        """Bytes a value of an ENUM or SET takes: an ENUM 1 up to 255 members, then 2; a SET
        one bit per member, rounded to 1, 2, 3, 4 or 8 bytes."""
        count = len(self.members)
        if self.kind == "ENUM":
            return 1 if count <= 255 else 2
        size = (count + 7) // 8
        return 8 if size > 4 else size

    @property
    def effective_charset(self) -> str | None:
        """The character set written, or the one the collation belongs to."""
        if self.charset:
            return self.charset.lower()
        return self.collation.split("_")[0].lower() if self.collation else None


@dataclass(frozen=True)
class ColumnDefinition:
    column: Column
    """As the schema model keeps it."""
    type: ColumnType
    position: str | None = None
    """``FIRST``, ``AFTER name`` or None (last)."""
    generated_kind: str | None = None
    """STORED or VIRTUAL for a generated column."""
    keys: tuple[str, ...] = ()
    """Keys declared on the column itself: "PRIMARY KEY", "UNIQUE"."""
    check: str | None = None
    attributes: frozenset[str] = field(default_factory=frozenset)
    """Other attributes written (COMMENT, INVISIBLE…): metadata only."""


def column_definition(
    tokens: Sequence[Token], sql: str, normalize: NormalizeType
) -> ColumnDefinition:
    """One column definition (``name type [attributes] [FIRST | AFTER x]``) read by sqlglot."""
    trees = parse([*_COLUMN_PREFIX, *tokens], sql)
    actions = trees[0].args.get("actions") if trees and trees[0] else None
    node = actions[0] if actions else None
    if not isinstance(node, exp.ColumnDef) or not isinstance(node.args.get("kind"), exp.DataType):
        raise Unreadable(f"cannot read the column definition {source(sql, tokens)!r}")
    return _definition(node, normalize)


def model_type(text: str, normalize: NormalizeType) -> ColumnType | None:
    """The :class:`ColumnType` of a type the schema model holds; None where it cannot be read."""
    try:
        return _model_type(text, normalize)
    except Unreadable:
        return None


@cache
def _model_type_definition(text: str) -> exp.ColumnDef | None:
    tokens = tokenize(f"c {text}")
    trees = parse([*_COLUMN_PREFIX, *tokens], f"c {text}")
    actions = trees[0].args.get("actions") if trees and trees[0] else None
    node = actions[0] if actions else None
    return node if isinstance(node, exp.ColumnDef) else None


def _model_type(text: str, normalize: NormalizeType) -> ColumnType | None:
    node = _model_type_definition(text)
    return _definition(node, normalize).type if node is not None else None


def _definition(node: exp.ColumnDef, normalize: NormalizeType) -> ColumnDefinition:
    kind: exp.DataType = node.args["kind"]
    charset = collation = default = on_update = generated = generated_kind = check = None
    nullable, identity = True, False
    keys: list[str] = []
    attributes: set[str] = set()
    for constraint in node.args.get("constraints") or []:
        c = constraint.args.get("kind")
        if isinstance(c, exp.CharacterSetColumnConstraint):
            charset = c.this.name
        elif isinstance(c, exp.CollateColumnConstraint):
            collation = c.this.name
        elif isinstance(c, exp.NotNullColumnConstraint):
            nullable = bool(c.args.get("allow_null"))
        elif isinstance(c, exp.DefaultColumnConstraint):
            default = c.this.sql("mysql")
        elif isinstance(c, exp.AutoIncrementColumnConstraint):
            identity = True
        elif isinstance(c, exp.ComputedColumnConstraint):
            generated = c.this.sql("mysql")
            generated_kind = "STORED" if c.args.get("persisted") else "VIRTUAL"
        elif isinstance(c, exp.OnUpdateColumnConstraint):
            on_update = c.this.sql("mysql")
        elif isinstance(c, exp.PrimaryKeyColumnConstraint):
            keys.append("PRIMARY KEY")
            nullable = False
        elif isinstance(c, exp.UniqueColumnConstraint):
            keys.append("UNIQUE")
        elif isinstance(c, exp.CheckColumnConstraint):
            check = c.this.sql("mysql")
        elif c is not None:
            attributes.add(type(c).__name__)
    column_type = _column_type(kind, charset, collation, normalize)
    type_text = column_type.text
    if charset:
        type_text += f" CHARACTER SET {charset}"
    if collation:
        type_text += f" COLLATE {collation}"
    position = node.args.get("position")
    return ColumnDefinition(
        column=Column(
            name=node.name,
            type=type_text,
            nullable=nullable,
            default=None if default in (None, "NULL") else default,
            identity=identity or kind.this is exp.DataType.Type.SERIAL,
            generated=generated,
            on_update=on_update,
        ),
        type=column_type,
        position=position.sql("mysql") if position is not None else None,
        generated_kind=generated_kind,
        keys=tuple(keys),
        check=check,
        attributes=frozenset(attributes),
    )


def _column_type(
    kind: exp.DataType, charset: str | None, collation: str | None, normalize: NormalizeType
) -> ColumnType:
    params = kind.expressions
    members = tuple(p.name for p in params if isinstance(p, exp.Literal) and p.is_string)
    numbers = [p.this.name for p in params if isinstance(p, exp.DataTypeParam)]
    length = int(numbers[0]) if numbers and numbers[0].isdigit() else None
    return ColumnType(
        text=normalize(kind.sql("mysql")),
        kind=kind.this.name,
        length=length,
        members=members,
        charset=charset,
        collation=collation,
    )


# --- index and constraint definitions ---------------------------------------------------------

INDEX_KINDS = ("UNIQUE", "FULLTEXT", "SPATIAL")
KEY_WORDS = ("INDEX", "KEY")


@dataclass(frozen=True)
class KeyDefinition:
    """An index, primary key, unique key, foreign key or check, as written."""

    kind: str
    """INDEX, UNIQUE, FULLTEXT, SPATIAL, PRIMARY KEY, FOREIGN KEY or CHECK."""
    name: str | None
    columns: tuple[str, ...] = ()
    """Column names, or the SQL of expression parts."""
    ref_table: str | None = None
    ref_columns: tuple[str, ...] = ()
    on_delete: str | None = None
    on_update: str | None = None
    expression: str | None = None
    enforced: bool = True


def key_definition(cursor: Cursor) -> KeyDefinition:
    """``[CONSTRAINT [name]] {PRIMARY KEY | UNIQUE [KEY] | INDEX | KEY | FULLTEXT | SPATIAL |
    FOREIGN KEY | CHECK} …``, up to the end of the cursor's tokens."""
    name = None
    if cursor.accept("CONSTRAINT") and not cursor.at(
        "PRIMARY KEY", "UNIQUE", "FOREIGN KEY", "CHECK"
    ):
        name = cursor.name()
    if cursor.accept("CHECK"):
        expression = source(cursor.sql, cursor.group())
        enforced = not cursor.accept("NOT ENFORCED")
        cursor.accept("ENFORCED")
        return KeyDefinition("CHECK", name, expression=expression, enforced=enforced)
    if cursor.accept("FOREIGN KEY"):
        cursor.accept("IF NOT EXISTS")
        if not cursor.at_punct(TokenType.L_PAREN):
            name = name or cursor.name()
        columns = key_parts(cursor)
        cursor.expect("REFERENCES")
        ref_table = cursor.qualified_name()
        ref_columns = key_parts(cursor)
        actions: dict[str, str] = {}
        while cursor.accept("ON"):
            event = cursor.expect("DELETE", "UPDATE")
            action = cursor.expect("CASCADE", "SET NULL", "SET DEFAULT", "RESTRICT", "NO ACTION")
            actions[event] = action
        return KeyDefinition(
            "FOREIGN KEY",
            name,
            columns,
            ref_table,
            ref_columns,
            on_delete=actions.get("DELETE"),
            on_update=actions.get("UPDATE"),
        )
    if cursor.accept("PRIMARY KEY"):
        kind = "PRIMARY KEY"
    else:
        kind = cursor.accept(*INDEX_KINDS) or "INDEX"
        cursor.accept(*KEY_WORDS)
    cursor.accept("IF NOT EXISTS")
    if not cursor.at_punct(TokenType.L_PAREN) and not cursor.at("USING"):
        name = cursor.name()
    if cursor.accept("USING"):
        cursor.name()
    columns = key_parts(cursor)
    return KeyDefinition(kind, name, columns)


def key_parts(cursor: Cursor) -> tuple[str, ...]:
    """The parts of a key: a column name (a prefix length and ASC/DESC dropped), or the SQL of
    an expression part."""
    parts = []
    for part in split_top(cursor.group()):
        head = Cursor(part, cursor.sql)
        name = head.name() if part[0].token_type is not TokenType.L_PAREN else None
        if name is not None and (
            head.done() or head.at_punct(TokenType.L_PAREN) or head.at("ASC", "DESC")
        ):
            parts.append(name)
        else:
            parts.append(source(cursor.sql, part))
    return tuple(parts)
