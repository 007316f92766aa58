from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExperienceConfig(AppConfig):
    name = "reporting.experience"
    label = "experience"
    verbose_name = _("Experience library")

    def ready(self) -> None:
        from standards.models import evidence_owner_register

        from .models import ExperienceCase, case_files_readable

        # A case's photos and documents are read by whoever may read the case.
        evidence_owner_register(ExperienceCase, case_files_readable)
