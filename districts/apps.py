from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DistrictsConfig(AppConfig):
    name = "districts"
    verbose_name = _("Districts and people")

    def ready(self) -> None:
        from . import signals  # noqa: F401 — connects the receivers
