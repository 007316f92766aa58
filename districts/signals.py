from typing import Any

from django.contrib.auth.signals import user_login_failed
from django.dispatch import receiver

from .audit import audit_record
from .models import AuditEntry


@receiver(user_login_failed)
def record_failed_login(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    # The password is never stored; the username tried is, so repeated guessing shows in the trail.
    audit_record(
        actor=None,
        action=AuditEntry.Action.LOGIN_FAILED,
        source="login",
        note=str(credentials.get("username", ""))[:150],
    )
