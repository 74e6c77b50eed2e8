"""Temporal visibility queries, built in one place from values that cannot change their meaning.

Temporal's list filter is an SQL-like string, so a value pasted into it unquoted can end the
literal and add clauses of its own (`zzz" OR FnFFlowName = "other` would list another flow's
executions). Every value that reaches a query goes through `literal`, which writes it as a
double-quoted string only when it is made of characters that need no escaping: letters, digits
and `_ - : . / +`. Names (translator/names.py), the ids built from them, statuses and the RFC 3339
times the API formats always are; anything else raises UnsafeQueryValue. Escaping is not relied
on, because Temporal's visibility stores disagree about backslashes inside literals (the dev
server accepts `"q\\""` yet matches nothing with it).

Attribute names are the caller's constants, never user input.
"""

from __future__ import annotations

import re

_SAFE = re.compile(r"[A-Za-z0-9_\-:./+]*")


class UnsafeQueryValue(ValueError):
    """A value that could not be written into a visibility query without changing its meaning."""


def literal(value: str) -> str:
    """`value` as a query string literal, or UnsafeQueryValue."""
    if not _SAFE.fullmatch(value):
        raise UnsafeQueryValue(f"{value!r} cannot be used in a visibility query")
    return f'"{value}"'


def equals(attribute: str, value: str) -> str:
    return f"{attribute} = {literal(value)}"


def not_equals(attribute: str, value: str) -> str:
    return f"{attribute} != {literal(value)}"


def starts_with(attribute: str, value: str) -> str:
    return f"{attribute} STARTS_WITH {literal(value)}"


def at_least(attribute: str, value: str) -> str:
    return f"{attribute} >= {literal(value)}"


def at_most(attribute: str, value: str) -> str:
    return f"{attribute} <= {literal(value)}"


def all_of(*clauses: str) -> str:
    return " AND ".join(clauses)


def any_of(*clauses: str) -> str:
    """The clauses joined by OR, the whole and each one parenthesized, so the result can stand
    beside `all_of`'s ANDs without changing meaning."""
    return "(" + " OR ".join(f"({clause})" for clause in clauses) + ")"


def is_null(attribute: str) -> str:
    return f"{attribute} IS NULL"
