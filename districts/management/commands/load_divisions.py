import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from districts.loading import DivisionFileError, divisions_load, read_division_rows


class Command(BaseCommand):
    help = "Load (or refresh) districts, street-level units and communities from an NBS division CSV."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="CSV with columns level, code, name, parent_code, kind")

    def handle(self, *args: object, path: Path, **options: object) -> None:
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        started = time.perf_counter()
        try:
            result = divisions_load(read_division_rows(path))
        except DivisionFileError as exc:
            shown = exc.problems[:20]
            more = len(exc.problems) - len(shown)
            raise CommandError(
                "nothing was loaded:\n" + "\n".join(shown) + (f"\n… and {more} more" if more > 0 else "")
            ) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"loaded {result.districts} districts, {result.streets} street-level units, "
                f"{result.communities} communities in {time.perf_counter() - started:.1f} s"
            )
        )
