from typing import Any

from django.contrib.auth.signals import user_login_failed
from django.dispatch import receiver

from .audit import audit_login_failed


@receiver(user_login_failed)
def record_failed_login(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    # With the address and path it came from, and whether django-axes refused it as locked out.
    audit_login_failed(request=request, username=str(credentials.get("username", "")))
