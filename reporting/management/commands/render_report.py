"""Render one PDF document now, without Celery, and write it to a file.

python manage.py render_report city-bulletin --period 2022-06 --out bulletin.pdf
python manage.py render_report district-monthly --period 2022-06 --district 120101 --out heping.pdf
python manage.py render_report annual --period 2021 --out annual.pdf
python manage.py render_report acceptance-record --community 120101001001 --out record.pdf
python manage.py render_report city-bulletin --period 2021-06 --campaign 1 --out old.pdf   # another campaign than the current
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation

from reporting.documents.build import DocumentError, document_pdf, document_spec
from reporting.models import Campaign, GeneratedDocument


class Command(BaseCommand):
    help = "Render a PDF document (city bulletin, district monthly report, annual compilation, acceptance record)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=GeneratedDocument.Kind.values)
        parser.add_argument("--period", default="", help="YYYY-MM for the monthly kinds, YYYY for the annual one")
        scope = parser.add_mutually_exclusive_group()
        scope.add_argument("--district", default="", help="the district's division code (district-monthly)")
        scope.add_argument("--community", default="", help="the community's division code (acceptance-record)")
        parser.add_argument("--campaign", type=int, help="the campaign's id (default: the current campaign)")
        parser.add_argument("--out", required=True, help="where to write the PDF")

    def handle(self, *args: Any, **options: Any) -> None:
        out = Path(options["out"])
        if not out.parent.is_dir():
            raise CommandError(f"The folder {out.parent} does not exist.")
        campaign = None
        if options["campaign"] is not None:
            campaign = Campaign.objects.filter(pk=options["campaign"]).first()
            if campaign is None:
                raise CommandError(f"There is no campaign with the id {options['campaign']}.")
        started = time.monotonic()
        with translation.override(settings.LANGUAGE_CODE):
            try:
                spec = document_spec(
                    kind=options["kind"],
                    period=options["period"],
                    scope_code=options["district"] or options["community"],
                    campaign=campaign,
                )
            except DocumentError as error:
                raise CommandError(str(error)) from error
            pdf = document_pdf(spec)
            filename = spec.filename
        try:
            out.write_bytes(pdf)
        except OSError as error:
            raise CommandError(f"Cannot write {out}: {error.strerror}") from error
        seconds = time.monotonic() - started
        self.stdout.write(f"{out}: {filename}, {len(pdf) // 1024} KB in {seconds:.2f} s")
