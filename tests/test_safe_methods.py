"""GET changes nothing: every GET address of the permission matrix, opened by every role, leaves every table as it was.

Issue 14 item 2. Each table is read whole before and after each request: its row count and an order-independent
hash of its rows. Two things are bookkeeping, not changes anyone made, and are held apart:
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
from tests.test_permissions import ROLES, _close, cases, world  # noqa: F401 — `world` is the matrix's fixture

# The session's last-request time is rewritten on every request (greencommunity.middleware.SessionTimeoutMiddleware).
NOT_COMPARED = {"django_session"}
AUDIT = AuditEntry._meta.db_table
DENIED = f"{AUDIT}: access denied"


def _tables() -> dict[str, tuple[int, int]]:
    """Every table's (row count, hash of its rows). The hash is a sum, so the order rows come back in does not
    matter; any inserted, deleted or changed row changes it."""
    quote = connection.ops.quote_name
    readings = {}
    with connection.cursor() as cursor:
        for table in sorted(set(connection.introspection.table_names(cursor)) - NOT_COMPARED):
            cursor.execute(f"SELECT * FROM {quote(table)}")  # noqa: S608 — the database's own table names
            rows = cursor.fetchall()
            if table == AUDIT:
                action = [column[0] for column in cursor.description].index("action")
                denied = [row for row in rows if row[action] == AuditEntry.Action.DENIED]
                readings[DENIED] = (len(denied), 0)
                rows = [row for row in rows if row[action] != AuditEntry.Action.DENIED]
            readings[table] = (len(rows), sum(hash(repr(row)) for row in rows) & 0xFFFFFFFFFFFFFFFF)
    return readings


def _changed(before: dict[str, tuple[int, int]], after: dict[str, tuple[int, int]], *, refused: bool) -> list[str]:
    allowed = {DENIED: (before[DENIED][0] + 1, 0)} if refused else {}
    return [
        f"{table} ({before.get(table, (0, 0))[0]} → {after.get(table, (0, 0))[0]} rows)"
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
