"""Serving evidence files: only to those who may read what the file belongs to, always through this view, never by
a storage URL, and under a random address."""

from __future__ import annotations

import uuid

from django.contrib.auth.decorators import login_required
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_GET

from .models import Evidence


def _visible_evidence(request: HttpRequest, public_id: uuid.UUID) -> Evidence:
    return get_object_or_404(Evidence.objects.visible_to(request.user).current(), public_id=public_id)


def _stream(field_file: FieldFile, *, content_type: str, filename: str, inline: bool) -> FileResponse:
    try:
        handle = field_file.open("rb")
    except OSError as exc:  # the row outlived its file (restored database, lost bucket): nothing to show
        raise Http404("evidence file is missing from storage") from exc
    # FileResponse writes an RFC 5987 `filename*` for names that are not ASCII (most of ours are Chinese).
    response = FileResponse(handle, content_type=content_type, as_attachment=not inline, filename=filename)
    response["X-Content-Type-Options"] = "nosniff"
    patch_cache_control(response, private=True)
    return response


@login_required
@require_GET
def evidence_file(request: HttpRequest, public_id: uuid.UUID) -> FileResponse:
    evidence = _visible_evidence(request, public_id)
    # Photos open in the browser; documents are always downloaded, so a crafted PDF or Office file never renders
    # in the portal's origin.
    return _stream(
        evidence.file,
        content_type=evidence.content_type,
        filename=evidence.original_name,
        inline=evidence.kind == Evidence.Kind.IMAGE,
    )


@login_required
@require_GET
def evidence_thumbnail(request: HttpRequest, public_id: uuid.UUID) -> FileResponse:
    evidence = _visible_evidence(request, public_id)
    if not evidence.thumbnail:
        raise Http404("this evidence has no thumbnail")
    stem = evidence.original_name.rsplit(".", 1)[0]
    return _stream(evidence.thumbnail, content_type="image/webp", filename=f"{stem}.webp", inline=True)
