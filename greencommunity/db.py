"""Database helpers shared by the apps."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection


@contextmanager
def planner_settings(**values: str) -> Iterator[None]:
    """PostgreSQL settings for the statements inside the block only, put back as they were after it — the caller's
    transaction runs on with its own (a `SET LOCAL` would last to the end of the outermost transaction). If the block
    fails, the transaction or savepoint it runs in rolls back, and with it the settings. Nothing on SQLite."""
    if connection.vendor != "postgresql" or not values:
        yield
        return
    names = list(values)
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join("current_setting(%s)" for _ in names), names)
        before = cursor.fetchone()
        for name in names:
            cursor.execute("SELECT set_config(%s, %s, true)", [name, values[name]])
    yield
    with connection.cursor() as cursor:
        for name, value in zip(names, before, strict=True):
            cursor.execute("SELECT set_config(%s, %s, true)", [name, value])
