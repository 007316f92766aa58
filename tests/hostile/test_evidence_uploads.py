"""Hostile files attached to a report: each refusal names the reason in Chinese inside the file box, and nothing is
kept — no Evidence row, no audit entry, no file in storage."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from standards.models import Evidence

from .conftest import SCRIPT, counts

pytestmark = [pytest.mark.django_db, pytest.mark.hostile]
HTMX = {"HTTP_HX_REQUEST": "true"}


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (30, 140, 60)).save(out, "JPEG")
    return out.getvalue()


def docx(*extra: tuple[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        package.writestr(
            "[Content_Types].xml", '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'
        )
        package.writestr("word/document.xml", "<document/>")
        for name, content in extra:
            package.writestr(name, content)
    return out.getvalue()


def files_in(media: Path) -> list[Path]:
    return [p for p in media.rglob("*") if p.is_file()] if media.exists() else []


def post_file(client, report, name: str, content: bytes, **fields):
    data = {"file": SimpleUploadedFile(name, content), **fields}
    return client.post(reverse("evidence_upload", args=[report.pk]), data, **HTMX)


def assert_refused(response, message: str, before: dict, media: Path) -> None:
    assert response.status_code == 200
    assert f'<p class="evidence-error" role="alert">{message}</p>' in response.content.decode()
    assert counts() == before
    assert files_in(media) == []


def test_a_script_named_jpg_is_refused_by_its_content(zh, heping_staff, march, media):
    before = counts()
    response = post_file(zh(heping_staff), march, "现场照片.jpg", b"#!/bin/sh\nrm -rf / --no-preserve-root\n")
    message = (
        "“现场照片.jpg”不是平台接受的文件类型（按文件内容检查，而非文件名）。"
        "可上传：照片（JPEG、PNG、WEBP格式）、PDF文件，以及Word、Excel、PowerPoint文档。"
    )
    assert_refused(response, message, before, media)


def test_an_svg_with_a_script_is_refused(zh, heping_staff, march, media):
    before = counts()
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>'
    response = post_file(zh(heping_staff), march, "logo.svg", svg)
    message = (
        "“logo.svg”不是平台接受的文件类型（按文件内容检查，而非文件名）。"
        "可上传：照片（JPEG、PNG、WEBP格式）、PDF文件，以及Word、Excel、PowerPoint文档。"
    )
    assert_refused(response, message, before, media)


def test_a_word_document_with_a_vba_project_is_refused(zh, heping_staff, march, media):
    before = counts()
    response = post_file(zh(heping_staff), march, "方案.docx", docx(("word/vbaProject.bin", b"Shell calc")))
    assert_refused(response, "不接受含宏的文档。请另存为不含宏的.docx、.xlsx或.pptx格式后重新上传。", before, media)


def test_an_office_zip_bomb_is_refused_from_its_directory(zh, heping_staff, march, media, settings):
    settings.EVIDENCE_MAX_UNZIPPED_BYTES = 5 * 1024 * 1024
    before = counts()
    response = post_file(
        zh(heping_staff), march, "方案.docx", docx(("word/media/zeros.bin", b"\0" * (6 * 1024 * 1024)))
    )
    assert_refused(response, "该文档解压后超过5.0\xa0MB，无法接收。", before, media)


def test_a_file_over_the_evidence_limit_is_refused_with_its_size(zh, heping_staff, march, media, settings):
    settings.EVIDENCE_MAX_BYTES = 1024
    before = counts()
    response = post_file(zh(heping_staff), march, "大文件.pdf", b"%PDF-1.4\n" + b"0" * 4096)
    assert_refused(response, "文件“大文件.pdf”大小为4.0\xa0KB，超过了单个文件1.0\xa0KB的上限。", before, media)


def test_a_path_in_the_uploaded_name_is_dropped_and_the_file_stays_in_the_evidence_folder(
    zh, heping_staff, march, media
):
    response = post_file(zh(heping_staff), march, "../../etc/passwd.jpg", jpeg())
    assert response.status_code == 200
    evidence = Evidence.objects.get()
    assert evidence.original_name == "passwd.jpg"
    assert evidence.file.name.startswith("evidence/120101/") and ".." not in evidence.file.name
    assert all(media in path.resolve().parents for path in files_in(media))
    assert not (media.parent / "etc").exists()


def test_right_to_left_and_zero_width_characters_are_taken_out_of_a_file_name(zh, heping_staff, march, media):
    response = post_file(zh(heping_staff), march, "照\u200b片\u202egpj.exe.jpg", jpeg())
    assert response.status_code == 200
    assert Evidence.objects.get().original_name == "照片gpj.exe.jpg"


def test_a_caption_longer_than_its_column_is_refused(zh, heping_staff, march, media):
    before = counts()
    response = post_file(zh(heping_staff), march, "照片.jpg", jpeg(), caption="说" * 201)
    assert_refused(response, "说明不能超过200个字。", before, media)


def test_html_in_a_caption_and_a_file_name_is_escaped_in_the_file_box(zh, heping_staff, march, media):
    response = post_file(zh(heping_staff), march, "<img src=x onerror=alert(1)>.jpg", jpeg(), caption=SCRIPT)
    page = response.content.decode()
    assert SCRIPT not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;.jpg" in page


def test_a_community_of_another_district_in_the_form_is_refused(zh, heping_staff, march, media):
    before = counts()
    response = post_file(zh(heping_staff), march, "照片.jpg", jpeg(), community="120103001001")
    assert_refused(response, "和平区没有代码为120103001001的社区。", before, media)


def test_a_forged_item_number_is_refused(zh, heping_staff, march, media):
    before = counts()
    response = post_file(zh(heping_staff), march, "照片.jpg", jpeg(), item="99")
    assert_refused(response, "本创建行动的标准中没有第99项。", before, media)


def test_an_upload_to_another_districts_report_is_not_found(zh, hexi_staff, march, media):
    before = counts()
    response = post_file(zh(hexi_staff), march, "照片.jpg", jpeg())
    assert response.status_code == 404
    assert counts() == before and files_in(media) == []


def test_sql_in_the_community_field_is_only_an_unknown_code(zh, heping_staff, march, media):
    before = counts()
    response = post_file(zh(heping_staff), march, "照片.jpg", jpeg(), community="1 OR 1=1; DROP TABLE x")
    assert_refused(response, "和平区没有代码为1 OR 1=1; DROP TABLE的社区。", before, media)
