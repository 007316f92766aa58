from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupervisionConfig(AppConfig):
    name = "reporting.supervision"
    label = "supervision"
    verbose_name = _("Supervision")

    def ready(self) -> None:
        from standards.models import evidence_owner_register

        from .models import Finding, RequiredAction
        from .querysets import findings_files_readable, required_actions_files_readable

        # A finding's photos are read by whoever reads the finding; an answer's files by whoever reads its action.
        evidence_owner_register(Finding, findings_files_readable)
        evidence_owner_register(RequiredAction, required_actions_files_readable)
