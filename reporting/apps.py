from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _figures_changed(**_kwargs: Any) -> None:
    from .rollups import rollup_on_commit

    rollup_on_commit()


class ReportingConfig(AppConfig):
    name = "reporting"
    verbose_name = _("Campaign and reporting")

    def ready(self) -> None:
        from standards.signals import inspection_signed, objection_decided

        # Who meets the standard changes with a signed inspection or a decided objection; recompute the figures.
        inspection_signed.connect(_figures_changed, dispatch_uid="reporting.rollup.inspection_signed")
        objection_decided.connect(_figures_changed, dispatch_uid="reporting.rollup.objection_decided")
