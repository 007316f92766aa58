"""GET changes nothing: every GET address of the permission matrix, opened by every role, leaves every table as it was.

Issue 14 item 2. Each table is read before and after each request: on PostgreSQL the transaction's own counts of
rows inserted, updated and deleted in it, elsewhere its row count and an order-independent hash of its rows. Two things are bookkeeping, not changes anyone made, and are held apart:
- `django_session` is not compared: the session middleware stores the time of the last request in the session on
  every request (the idle timeout).
- A refused request (403, or 404 for a logged-in user) is written to the audit trail as "access denied" by design
  (DeniedAccessAuditMiddleware). Those entries are counted apart: a refused GET may add one, nothing else may.
Logging in (which writes the session and django-axes' access log) happens before the first reading.
"""

from __future__ import annotations

import pytest
from django.db import connection

from districts.models import AuditEntry
from tests.test_permissions import (  # noqa: F401 — the matrix's fixtures
    ROLES,
    _close,
    cases,
    inspector,
    matrix_world,
    world,
)

# The session's last-request time is rewritten on every request (greencommunity.middleware.SessionTimeoutMiddleware).
NOT_COMPARED = {"django_session"}
AUDIT = AuditEntry._meta.db_table
DENIED = f"{AUDIT}: access denied"


def _tables() -> dict[str, tuple[int, ...]]:
    """A reading of every table that any write changes.

    On PostgreSQL, the transaction's own counts of rows inserted, updated and deleted per table
    (`pg_stat_xact_user_tables`, kept by the server for the test's transaction): one query, and stricter than
    comparing contents, since an UPDATE that writes the same values counts too. Elsewhere, every table's (row count,
    hash of its rows), read whole: the hash is a sum, so the order rows come back in does not matter."""
    quote = connection.ops.quote_name
    readings: dict[str, tuple[int, ...]] = {}
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {quote(AUDIT)} WHERE action = %s", [AuditEntry.Action.DENIED])  # noqa: S608
        readings[DENIED] = (cursor.fetchone()[0],)
        if connection.vendor == "postgresql":
            cursor.execute("SELECT relname, n_tup_ins, n_tup_upd, n_tup_del FROM pg_stat_xact_user_tables")
            for table, *counts in cursor.fetchall():
                if table not in NOT_COMPARED:
                    readings[table] = tuple(counts)
            return readings
        for table in sorted(set(connection.introspection.table_names(cursor)) - NOT_COMPARED):
            cursor.execute(f"SELECT * FROM {quote(table)}")  # noqa: S608 — the database's own table names
            rows = cursor.fetchall()
            if table == AUDIT:
                action = [column[0] for column in cursor.description].index("action")
                rows = [row for row in rows if row[action] != AuditEntry.Action.DENIED]
            readings[table] = (len(rows), sum(hash(repr(row)) for row in rows) & 0xFFFFFFFFFFFFFFFF)
    return readings


def _changed(before: dict[str, tuple[int, ...]], after: dict[str, tuple[int, ...]], *, refused: bool) -> list[str]:
    """The tables a request changed, less the one "access denied" entry a refused request may add."""
    allowed: dict[str, tuple[int, ...]] = {}
    if refused:
        allowed[DENIED] = (before[DENIED][0] + 1,)
        if connection.vendor == "postgresql":  # that entry is the audit table's one insert
            inserted, *rest = before.get(AUDIT, (0, 0, 0))
            allowed[AUDIT] = (inserted + 1, *rest)
    return [
        f"{table} ({before.get(table)} → {after.get(table)})"
        for table in sorted(set(before) | set(after))
        if before.get(table) != after.get(table) and allowed.get(table) != after.get(table)
    ]


@pytest.mark.parametrize("role", ROLES)
def test_no_get_in_the_permission_matrix_changes_any_table(request, client, world, role):  # noqa: F811
    """Issue 14 item 2: opening a page (a checklist, a dashboard, a list) writes nothing, for any role."""
    if role != "anonymous":
        client.force_login(request.getfixturevalue(role))
    gets = [(name, case) for name, case in cases(world).items() if case.method == "GET" and role in case.expect]
    assert len(gets) > 40
    writes = []
    before = _tables()
    for name, case in gets:
        for scope, path in (("own", case.own), ("other", case.other)):
            response = client.get(path)
            _close(response)
            expected = case.expect[role][0 if scope == "own" else 1]
            assert response.status_code == expected, f"{role} GET {path} ({name}, {scope})"
            after = _tables()
            refused = response.status_code in (403, 404)
            if changed := _changed(before, after, refused=refused):
                writes.append(f"GET {path} ({name}, {scope}) changed {', '.join(changed)}")
            before = after
    assert not writes, "\n".join(writes)


@pytest.mark.django_db
def test_the_reading_sees_a_write_and_a_refusals_entry_is_held_apart():
    from districts.audit import audit_record
    from districts.models import Community

    before = _tables()
    community = Community.objects.order_by("code").first()
    Community.objects.filter(pk=community.pk).update(name=community.name + "（新）")
    assert _changed(before, _tables(), refused=False) == [
        f"{Community._meta.db_table} ({before.get(Community._meta.db_table)} → {_tables()[Community._meta.db_table]})"
    ]
    before = _tables()
    audit_record(actor=None, action=AuditEntry.Action.DENIED, obj=community, changes={})
    assert _changed(before, _tables(), refused=True) == []
    assert _changed(before, _tables(), refused=False) != []
