import hashlib
from typing import Any

from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.utils.translation import gettext_lazy as _


def _figures_changed(**_kwargs: Any) -> None:
    from reporting.figures.rollups import rollup_on_commit

    rollup_on_commit()


def _revocation_notify(*, revocation: Any, **_kwargs: Any) -> None:
    """The district is told through the outbox: written with the revocation, sent once it commits."""
    from outbox.services import enqueue_on_commit
    from reporting.tasks import revocation_notify

    enqueue_on_commit(revocation_notify, args=[revocation.pk])


def _rollup_hash(*values: Any) -> int:
    """SQLite's stand-in for PostgreSQL's hash_record_extended in the rollup: 40 bits of an MD5 of the values, so
    that summing a few million of them stays within SQLite's 64-bit integers."""
    text = "\x1f".join("\x00" if value is None else str(value) for value in values)
    return int(hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()[:10], 16)


def _register_sqlite_functions(connection: Any, **_kwargs: Any) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_function("rollup_hash", -1, _rollup_hash, deterministic=True)


class ReportingConfig(AppConfig):
    name = "reporting"
    verbose_name = _("Campaign and reporting")

    def ready(self) -> None:
        from reporting.access import report_files_readable
        from reporting.models import Report
        from standards.models import evidence_owner_register
        from standards.signals import inspection_signed, objection_decided, title_revoked

        connection_created.connect(_register_sqlite_functions, dispatch_uid="reporting.sqlite_functions")

        # Who meets the standard changes with a signed inspection or a decided objection; recompute the figures.
        inspection_signed.connect(_figures_changed, dispatch_uid="reporting.rollup.inspection_signed")
        objection_decided.connect(_figures_changed, dispatch_uid="reporting.rollup.objection_decided")
        title_revoked.connect(_figures_changed, dispatch_uid="reporting.rollup.title_revoked")
        title_revoked.connect(_revocation_notify, dispatch_uid="reporting.notify.title_revoked")
        evidence_owner_register(Report, report_files_readable)
        # Pages of standards that are about no campaign (a district's refinements) refine the current campaign's items.
        from reporting.campaigns.selectors import current_standard_id, picked_standard_id
        from standards.selectors import current_standard_register, picked_standard_register

        current_standard_register(current_standard_id)
        # Pages of standards that are for the campaign picked in the top bar (the item pass rates) measure its items.
        picked_standard_register(picked_standard_id)

        # A roster release closes, renames and moves units from a date: the figures from that date on change.
        from districts.releases.signals import release_applied
        from reporting.roster.releases import on_release_applied

        release_applied.connect(on_release_applied, dispatch_uid="reporting.rollup.release_applied")
