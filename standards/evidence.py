"""Photos and documents backing the reports: checked by their content, kept through Django's storage, audited.

A file's type is decided by its first bytes and a parse of its structure, never by its name or the browser's
content type, so a script named `photo.jpg` is refused and a PNG named `photo.jpg` is kept as `photo.png`.
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
import warnings
import zipfile
import zlib
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.db import models, transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, ImageFile, ImageOps

from districts.audit import audit_record, created
from districts.models import AuditEntry, Community, Department, District
from greencommunity.fields import max_length

from .models import Evidence, EvidenceQuerySet, StandardItem

# Pillow refuses larger images outright (twice this) or warns (above this); we treat both as a refusal. A phone's
# 50-megapixel photo fits; a crafted 20000 × 20000 image that would take gigabytes to decode does not.
MAX_IMAGE_PIXELS = 60_000_000
Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
THUMBNAIL_SIZE = 320
# An Office document is a zip; a real one has tens to a few hundred parts.
MAX_ZIP_MEMBERS = 5000
MAX_CONTENT_TYPES_BYTES = 1024 * 1024

JPEG, PNG, WEBP = "JPEG", "PNG", "WEBP"
IMAGE_TYPES = {
    JPEG: ("image/jpeg", ("jpg", "jpeg")),
    PNG: ("image/png", ("png",)),
    WEBP: ("image/webp", ("webp",)),
}
PDF_TYPE = "application/pdf"
# The main part that tells a Word, Excel or PowerPoint package apart.
OOXML_TYPES = {
    "word/document.xml": ("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "xl/workbook.xml": ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "ppt/presentation.xml": ("pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
}
OLE_TYPES = {"doc": "application/msword", "xls": "application/vnd.ms-excel", "ppt": "application/vnd.ms-powerpoint"}

OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
# Stream names in an OLE directory are UTF-16; Word and Excel keep VBA macros in a `_VBA_PROJECT` stream.
OLE_MACRO_MARKERS = ("_VBA_PROJECT".encode("utf-16-le"),)
ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, RuntimeError, EOFError, zlib.error)


class EvidenceError(Exception):
    """A refusal, with a message to show the uploader."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _not_accepted(name: str) -> EvidenceError:
    return EvidenceError(
        _(
            "“%(name)s” is not a kind of file the portal accepts (its content was checked, not its name). "
            "Accepted: photos (JPEG, PNG, WEBP), PDF, and Word, Excel or PowerPoint documents."
        )
        % {"name": name}
    )


def _damaged_document() -> EvidenceError:
    return EvidenceError(_("The document cannot be read; it may be damaged. Save it again and upload it again."))


def _macros() -> EvidenceError:
    return EvidenceError(
        _(
            "Documents with macros are not accepted. Save it as .docx, .xlsx or .pptx without macros and upload it again."
        )
    )


def _extension(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def _head(upload: Any, size: int = 16) -> bytes:
    upload.seek(0)
    head = upload.read(size)
    upload.seek(0)
    return head


def _image_check(upload: Any, name: str, expected: str) -> None:
    """The photo opens with the decoder its first bytes name, stays under the pixel limit and passes `verify()`."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            upload.seek(0)
            with Image.open(upload, formats=[expected]) as image:
                width, height = image.size
                if width * height > MAX_IMAGE_PIXELS:
                    raise Image.DecompressionBombError("too many pixels")
                image.verify()
            # verify() does not decode; a cut-off JPEG only shows when its pixels are read. Read them with
            # truncated images refused, whatever another library (WeasyPrint sets it) has made the default.
            upload.seek(0)
            allow_truncated = ImageFile.LOAD_TRUNCATED_IMAGES
            ImageFile.LOAD_TRUNCATED_IMAGES = False
            try:
                with Image.open(upload, formats=[expected]) as image:
                    image.load()
            finally:
                ImageFile.LOAD_TRUNCATED_IMAGES = allow_truncated
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise EvidenceError(
            _("The photo has too many pixels (at most %(limit)d megapixels). Make it smaller and upload it again.")
            % {"limit": MAX_IMAGE_PIXELS // 1_000_000}
        ) from exc
    except Exception as exc:  # Pillow raises many kinds of error for a damaged or disguised file
        raise EvidenceError(
            _("The photo “%(name)s” cannot be read; it may be damaged. Save it again as JPEG or PNG and upload it.")
            % {"name": name}
        ) from exc
    finally:
        upload.seek(0)


def _ooxml_check(upload: Any, name: str) -> tuple[str, str]:
    """(extension, content type) of a Word, Excel or PowerPoint package, after checking its size and macros."""
    try:
        upload.seek(0)
        with zipfile.ZipFile(upload) as package:
            members = package.infolist()
            if len(members) > MAX_ZIP_MEMBERS:
                raise EvidenceError(
                    _("The document holds too many parts (%(count)d); it cannot be accepted.") % {"count": len(members)}
                )
            # The sizes come from the zip's directory; we never unpack more than the small content-type list.
            unpacked = sum(member.file_size for member in members)
            if unpacked > settings.EVIDENCE_MAX_UNZIPPED_BYTES:
                raise EvidenceError(
                    _("The document unpacks to more than %(limit)s; it cannot be accepted.")
                    % {"limit": filesizeformat(settings.EVIDENCE_MAX_UNZIPPED_BYTES)}
                )
            names = {member.filename for member in members}
            if any(n.lower().endswith(("vbaproject.bin", "vbadata.xml")) for n in names):
                raise _macros()
            if "[Content_Types].xml" not in names:
                raise _not_accepted(name)
            with package.open("[Content_Types].xml") as listing:
                content_types = listing.read(MAX_CONTENT_TYPES_BYTES + 1)
            if len(content_types) > MAX_CONTENT_TYPES_BYTES:
                raise _damaged_document()
            if b"macroEnabled" in content_types or b"vbaProject" in content_types:
                raise _macros()
            for part, (ext, content_type) in OOXML_TYPES.items():
                if part in names:
                    return ext, content_type
    except ZIP_ERRORS as exc:
        raise _damaged_document() from exc
    finally:
        upload.seek(0)
    raise _not_accepted(name)


def _ole_has_macros(upload: Any) -> bool:
    upload.seek(0)
    tail = b""
    try:
        for chunk in upload.chunks():
            window = tail + chunk
            if any(marker in window for marker in OLE_MACRO_MARKERS):
                return True
            tail = window[-32:]
        return False
    finally:
        upload.seek(0)


def evidence_check(upload: Any) -> tuple[str, str, str]:
    """(kind, content type, extension) of an uploaded file, decided by its content; EvidenceError if refused.

    The extension is the name's own when it agrees with the content, else the content's usual one.
    """
    if upload is None:
        raise EvidenceError(_("Choose a file to upload."))
    name = upload.name or ""
    if not upload.size:
        raise EvidenceError(_("The file “%(name)s” is empty.") % {"name": name})
    if upload.size > settings.EVIDENCE_MAX_BYTES:
        raise EvidenceError(
            _("The file “%(name)s” is %(size)s; files may be at most %(limit)s.")
            % {
                "name": name,
                "size": filesizeformat(upload.size),
                "limit": filesizeformat(settings.EVIDENCE_MAX_BYTES),
            }
        )
    head = _head(upload)
    named = _extension(name)

    image_format = None
    if head.startswith(b"\xff\xd8\xff"):
        image_format = JPEG
    elif head.startswith(b"\x89PNG\r\n\x1a\n"):
        image_format = PNG
    elif head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        image_format = WEBP
    if image_format is not None:
        _image_check(upload, name, image_format)
        content_type, extensions = IMAGE_TYPES[image_format]
        return Evidence.Kind.IMAGE, content_type, named if named in extensions else extensions[0]

    if head.startswith(b"%PDF-"):
        return Evidence.Kind.PDF, PDF_TYPE, "pdf"

    if head.startswith(b"PK\x03\x04"):
        ext, content_type = _ooxml_check(upload, name)
        return Evidence.Kind.OFFICE, content_type, ext

    if head.startswith(OLE_MAGIC):
        # Old Word, Excel and PowerPoint files share one container; telling them apart needs a full parser, so the
        # name must say which it is.
        if named not in OLE_TYPES:
            raise EvidenceError(
                _("An Office file in the old format must be named .doc, .xls or .ppt; “%(name)s” is not.")
                % {"name": name}
            )
        if _ole_has_macros(upload):
            raise _macros()
        return Evidence.Kind.OFFICE, OLE_TYPES[named], named

    raise _not_accepted(name)


def _clean_name(name: str, ext: str) -> str:
    """The uploader's file name, without folders or control characters, ending in the extension that fits its
    content, and short enough for the column."""
    name = re.split(r"[\\/]", name or "")[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip().strip(".")
    stem = name.rsplit(".", 1)[0] if "." in name else name
    stem = stem.strip() or _("file")
    limit = max_length(Evidence, "original_name") - len(ext) - 1
    return f"{stem[:limit]}.{ext}"


def _digest(upload: Any) -> tuple[str, int]:
    sha = hashlib.sha256()
    size = 0
    upload.seek(0)
    for chunk in upload.chunks():
        sha.update(chunk)
        size += len(chunk)
    upload.seek(0)
    return sha.hexdigest(), size


def _thumbnail(upload: Any, name: str) -> bytes:
    """A WEBP at most THUMBNAIL_SIZE px on its long side, turned the way the camera meant."""
    try:
        upload.seek(0)
        with Image.open(upload, formats=[JPEG, PNG, WEBP]) as image:
            # A JPEG can be decoded at a fraction of its size, which keeps a large photo's decode cheap.
            image.draft("RGB", (THUMBNAIL_SIZE * 2, THUMBNAIL_SIZE * 2))
            picture = ImageOps.exif_transpose(image)
            picture.thumbnail((THUMBNAIL_SIZE, THUMBNAIL_SIZE))
            transparent = picture.mode in {"RGBA", "LA", "PA"} or "transparency" in picture.info
            picture = picture.convert("RGBA" if transparent else "RGB")
            out = io.BytesIO()
            picture.save(out, "WEBP", quality=80)
            return out.getvalue()
    except Exception as exc:  # a file that verified but does not decode is damaged
        raise EvidenceError(
            _("The photo “%(name)s” cannot be read; it may be damaged. Save it again as JPEG or PNG and upload it.")
            % {"name": name}
        ) from exc
    finally:
        upload.seek(0)


def evidence_add(
    *,
    upload: Any,
    by: Any,
    district: District | None = None,
    department: Department | None = None,
    community: Community | None = None,
    item: StandardItem | None = None,
    owner: models.Model | None = None,
    caption: str = "",
) -> Evidence:
    """Check, store and record one uploaded file. Nothing is kept if anything fails."""
    kind, content_type, ext = evidence_check(upload)
    caption = (caption or "").strip()
    if len(caption) > max_length(Evidence, "caption"):
        raise EvidenceError(_("The caption may be at most 200 characters."))
    if community is not None and district is not None and community.district_id != district.pk:
        raise EvidenceError(
            _("The community %(community)s is not in %(district)s.")
            % {"community": community.name, "district": district.name}
        )
    name = _clean_name(upload.name, ext)
    sha256, size = _digest(upload)
    thumbnail = _thumbnail(upload, name) if kind == Evidence.Kind.IMAGE else None

    evidence = Evidence(
        original_name=name,
        content_type=content_type,
        kind=kind,
        size=size,
        sha256=sha256,
        caption=caption,
        district=district or (community.district if community is not None else None),
        department=department,
        community=community,
        item=item,
        uploaded_by=by,
    )
    if owner is not None:
        evidence.owner_type = ContentType.objects.get_for_model(owner)
        evidence.owner_id = owner.pk
    written: list[Any] = []
    try:
        with transaction.atomic():
            evidence.file.save(name, upload, save=False)
            written.append(evidence.file)
            if thumbnail is not None:
                evidence.thumbnail.save("thumbnail.webp", ContentFile(thumbnail), save=False)
                written.append(evidence.thumbnail)
            evidence.save()
            audit_record(
                actor=by,
                action=AuditEntry.Action.CREATE,
                obj=evidence,
                district_id=evidence.district_id,
                changes=created(
                    {
                        "original_name": name,
                        "kind": kind,
                        "size": size,
                        "sha256": sha256,
                        "community": str(community) if community is not None else None,
                        "item": item.number if item is not None else None,
                        "caption": caption,
                    }
                ),
            )
    except BaseException:
        # The row was not written: take back the files already in storage so nothing is left behind.
        for field_file in written:
            field_file.storage.delete(field_file.name)
        raise
    return evidence


def evidence_remove(*, evidence: Evidence, by: Any) -> Evidence:
    """Hide a file from the report. The stored file is kept, so the trail can always show what was there."""
    with transaction.atomic():
        locked = Evidence.objects.select_for_update().get(pk=evidence.pk)
        if locked.removed_at is not None:
            raise EvidenceError(_("“%(name)s” has already been removed.") % {"name": locked.original_name})
        locked.removed_at = timezone.now()
        locked.removed_by = by
        locked.save(update_fields=["removed_at", "removed_by"])
        audit_record(
            actor=by,
            action=AuditEntry.Action.UPDATE,
            obj=locked,
            district_id=locked.district_id,
            changes={"removed_at": [None, locked.removed_at.isoformat()]},
        )
    evidence.removed_at, evidence.removed_by = locked.removed_at, locked.removed_by
    return evidence


def evidence_for(owner: models.Model) -> EvidenceQuerySet:
    """The files attached to `owner` and not removed, newest first."""
    return (
        Evidence.objects.current()
        .filter(owner_type=ContentType.objects.get_for_model(owner), owner_id=owner.pk)
        .select_related("community", "item", "uploaded_by")
    )
