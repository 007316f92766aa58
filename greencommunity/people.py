"""How the portal names a person: one function, used by every page, document, message and the audit trail."""

from __future__ import annotations

from typing import Any


def person_name(user: Any) -> str:
    """The user's full name, or the login name when none is set; "" for no user.

    Chinese names are stored with the family name (姓) in `last_name` and the given name (名) in `first_name`, and
    read family name first without a space (张伟). A name written in Latin letters keeps its own order (Anna Li).
    """
    if user is None:
        return ""
    family = (getattr(user, "last_name", "") or "").strip()
    given = (getattr(user, "first_name", "") or "").strip()
    if not (family or given):
        return getattr(user, "username", "") or ""
    if family.isascii() and given.isascii():
        return f"{given} {family}".strip()
    return f"{family}{given}"
