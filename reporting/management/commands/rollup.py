"""Compute each begun campaign's progress snapshots (city, districts, streets) up to today, as the nightly job does."""

from __future__ import annotations

import datetime

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from reporting.models import Campaign


class Command(BaseCommand):
    help = "Compute every begun campaign's progress snapshots for every month's end up to today (or --today)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--today", help="Compute as if today were this date (YYYY-MM-DD).")
        parser.add_argument(
            "--full",
            action="store_true",
            help="Compute every date again, also those whose inputs did not change since they were stored.",
        )

    def handle(self, *args: object, **options: object) -> None:
        from reporting.figures.rollups import rollup_all

        if not Campaign.objects.exists():
            raise CommandError("No campaign is set up; run migrate first.")
        today = timezone.localdate()
        if options.get("today"):
            try:
                today = datetime.date.fromisoformat(str(options["today"]))
            except ValueError as exc:
                raise CommandError(f"--today must be a date like 2022-06-30, not {options['today']!r}") from exc
        for campaign in Campaign.objects.started(today):
            result = rollup_all(campaign=campaign, today=today, force=bool(options.get("full")))
            self.stdout.write(self.style.SUCCESS(f"{campaign}: {result} progress snapshot rows up to date"))
