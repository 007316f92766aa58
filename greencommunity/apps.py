from django.apps import AppConfig


class PortalConfig(AppConfig):
    """The project package as an app, so its signal receivers (greencommunity.security) connect at start-up."""

    name = "greencommunity"
    verbose_name = "Portal"

    def ready(self) -> None:
        from . import security  # noqa: F401 — connects the receivers
