import datetime
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from districts.releases.diff import CLASSES, ReleaseDiff
from districts.releases.reading import ReleaseError
from districts.releases.services import release_load

SHOWN = 5


def _date(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"--effective must be a date as YYYY-MM-DD, not {text!r}") from exc


class Command(BaseCommand):
    help = (
        "Apply a roster release (the NBS division list: CSV in UTF-8 or GBK, or xlsx, with columns level, code, name, "
        "parent_code, kind) from an effective date, for the districts it covers: adds, closes, renames and moves."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, help="CSV or xlsx with columns level, code, name, parent_code, kind")
        parser.add_argument("--effective", default=None, help="effective date YYYY-MM-DD (default: today)")
        parser.add_argument(
            "--scope",
            default="",
            help="district codes the file covers, e.g. 120101,120102 (default: the districts in the file)",
        )
        parser.add_argument("--dry-run", action="store_true", help="check and compare only; write nothing")

    def handle(
        self, *args: object, path: Path, effective: str | None, scope: str, dry_run: bool, **options: Any
    ) -> None:
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        effective_on = _date(effective) if effective else timezone.localdate()
        started = time.perf_counter()
        try:
            diff = release_load(
                content=path.read_bytes(), filename=path.name, effective_on=effective_on, scope=scope, dry_run=dry_run
            )
        except ReleaseError as exc:
            shown = exc.problems[:20]
            more = len(exc.problems) - len(shown)
            raise CommandError(
                "nothing was loaded:\n" + "\n".join(shown) + (f"\n… and {more} more" if more > 0 else "")
            ) from exc
        seconds = time.perf_counter() - started
        self._counts(diff)
        if dry_run:
            self._samples(diff)
            self.stdout.write(f"dry run: nothing written ({seconds:.1f} s)")
        elif diff.is_empty:
            self.stdout.write(self.style.SUCCESS(f"nothing changed: the roster already matches ({seconds:.1f} s)"))
        else:
            self.stdout.write(self.style.SUCCESS(f"applied from {diff.effective_on} in {seconds:.1f} s"))

    def _counts(self, diff: ReleaseDiff) -> None:
        self.stdout.write(
            f"scope: {','.join(diff.scope)}; effective {diff.effective_on}; "
            + ", ".join(f"{name} {diff.counts[name]}" for name in CLASSES)
        )

    def _samples(self, diff: ReleaseDiff) -> None:
        for name in CLASSES:
            rows = diff.samples[name][:SHOWN]
            if not rows:
                continue
            self.stdout.write(f"{name}:")
            for row in rows:
                change = f" {row.before} → {row.after}" if row.before and row.after else ""
                self.stdout.write(f"  {row.level} {row.code} {row.name}{change}")
