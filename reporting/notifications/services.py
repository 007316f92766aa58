"""In-app notifications and their e-mails. Sending is idempotent: each (user, key) is sent once, ever."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mass_mail
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone, translation

from districts.models import Role
from reporting.models import Notification, Report


def district_staff(district_id: int) -> QuerySet:
    """The district's active staff."""
    return get_user_model().objects.filter(
        is_active=True, membership__role=Role.DISTRICT_STAFF, membership__district_id=district_id
    )


def filer_users(report: Report) -> QuerySet:
    """The active users who file `report`: its district's staff, or its department's."""
    users = get_user_model().objects.filter(is_active=True)
    if report.district_id:
        return district_staff(report.district_id)
    if report.department_id:
        return users.filter(membership__role=Role.DEPARTMENT_STAFF, membership__department_id=report.department_id)
    return users.none()


def commission_users() -> QuerySet:
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(membership__role__in=[Role.COMMISSION_ADMIN, Role.COMMISSION_REVIEWER]))
    )


def notify(users: Iterable[Any], *, key: str, message: str, url: str = "", subject: str = "") -> int:
    """Notify each user once per `key`, in the portal and by e-mail; return how many were newly notified.

    Rows are inserted first (the unique (user, key) constraint drops repeats); e-mails then go out only for rows
    this call can lock and that have not been e-mailed, so two runs at once never send the same mail twice.
    """
    users = list(users)
    already = set(Notification.objects.filter(key=key, user__in=users).values_list("user_id", flat=True))
    fresh = [u for u in users if u.pk not in already]
    if fresh:
        Notification.objects.bulk_create(
            [Notification(user=u, key=key, message=message[:500], url=url) for u in fresh], ignore_conflicts=True
        )
    with transaction.atomic():
        pending = list(
            Notification.objects.select_for_update(skip_locked=True)
            .filter(key=key, user__in=users, emailed_at__isnull=True)
            .exclude(user__email="")
            .select_related("user")
        )
        if pending:
            with translation.override(settings.LANGUAGE_CODE):
                mails = [
                    (subject or message[:60], f"{message}\n\n{settings.PORTAL_BASE_URL}{url}", None, [n.user.email])
                    for n in pending
                ]
            send_mass_mail(mails, fail_silently=False)
            Notification.objects.filter(pk__in=[n.pk for n in pending]).update(emailed_at=timezone.now())
    return len(fresh)
