"""The commission's PDFs on the demo campaign: the city bulletin for December 2022 and the 2022 annual compilation.

Time is the median of three renders in process after one warm-up (fonts and templates loaded), as the Celery job
renders them; size is the PDF's; peak memory is the maximum resident size of a fresh `manage.py render_report`
process making the same document (Python, Django, WeasyPrint and the fonts included).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import translation

from reporting.documents.build import document_pdf, document_spec

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = [
    ("city bulletin 2022-12", "city-bulletin", "2022-12", "≤ 1 s, ≤ 500 KB"),
    ("annual compilation 2022", "annual", "2022", "≤ 15 s"),
]


def _peak_kib(kind: str, period: str) -> int:
    out = Path(tempfile.mkdtemp(prefix="bench-pdf-")) / "document.pdf"
    process = subprocess.Popen(  # noqa: S603 — our own command with arguments from this module
        [sys.executable, str(ROOT / "manage.py"), "render_report", kind, "--period", period, "--out", str(out)],
        stdout=subprocess.DEVNULL,
        env=os.environ.copy(),
    )
    _pid, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise RuntimeError(f"render_report {kind} {period} failed ({process.returncode})")
    return usage.ru_maxrss


def run() -> list[dict[str, Any]]:
    results = []
    for label, kind, period, target in DOCUMENTS:
        with translation.override(settings.LANGUAGE_CODE):
            spec = document_spec(kind=kind, period=period, scope_code="")
            document_pdf(spec)
            times, size = [], 0
            for _ in range(3):
                start = time.perf_counter()
                size = len(document_pdf(spec))
                times.append(time.perf_counter() - start)
        results.append(
            {
                "name": f"tianjin: PDF, {label}",
                "value": round(statistics.median(times), 2),
                "unit": "s",
                "size_kb": size // 1024,
                "peak_memory_mb": round(_peak_kib(kind, period) / 1024),
                "target": target,
            }
        )
    return results
