from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StandardsConfig(AppConfig):
    name = "standards"
    verbose_name = _("The standard")

    def ready(self) -> None:
        from . import audit_labels  # noqa: F401 — registers what this app's audit entries mean
