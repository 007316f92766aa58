"""The PDF documents: each kind rendered from data made through the services, read back with poppler's
pdftotext and pdffonts; the Celery job keeps one file per document; the pages are scoped; the command writes."""

from __future__ import annotations

import datetime
import re
import shutil
import subprocess
import zoneinfo
from pathlib import Path
from urllib.parse import unquote

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse

from districts.models import AuditEntry, Community, Department, District
from reporting.documents.build import DocumentError, document_pdf, document_spec, percent_label
from reporting.documents.tasks import document_render, document_request
from reporting.figures.selectors import roster_communities
from reporting.models import Campaign, DocumentNumberCounter, GeneratedDocument
from reporting.reports.services import assessment_save, report_accept, report_open, report_save, report_submit
from reporting.services import enrolment_enrol
from standards.acceptance import (
    answer_save,
    assignments_create,
    inspection_sign,
    inspection_start,
    objection_decide,
    objection_record,
    rectification_done,
    round_create,
    team_create,
)
from standards.models import SelfAssessment
from tests.reporting.oracle import share_of

pytestmark = pytest.mark.django_db
D = datetime.date
LOCAL = zoneinfo.ZoneInfo("Asia/Shanghai")
ALL_MEET = {str(n): "meets" for n in range(1, 17)}
HEPING, HEXI = "120101", "120103"


def _poppler() -> None:
    if not shutil.which("pdftotext") or not shutil.which("pdffonts"):
        pytest.fail("poppler-utils (pdftotext, pdffonts) must be installed to read the PDFs back")


def pdf_text(pdf: bytes, tmp_path: Path, *, mode: str = "-layout") -> str:
    """The text: "-layout" keeps a table's row on one line; "-raw" keeps the order and spaces as written."""
    _poppler()
    path = tmp_path / "document.pdf"
    path.write_bytes(pdf)
    args = ["pdftotext", "-enc", "UTF-8", *([mode] if mode else []), str(path), "-"]
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def embedded_cjk_fonts(pdf: bytes, tmp_path: Path) -> list[str]:
    """Names of the embedded fonts pdffonts lists that are Noto CJK (or SC) faces."""
    _poppler()
    path = tmp_path / "fonts.pdf"
    path.write_bytes(pdf)
    listing = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True, text=True).stdout
    fonts = []
    for line in listing.splitlines()[2:]:
        name, *rest = line.split()
        # Columns after the name: type words, encoding, emb, sub, uni, object id, generation.
        emb = rest[-5]
        if emb == "yes" and "Noto" in name and ("CJK" in name or "SC" in name):
            fonts.append(name)
    return fonts


def _line_with(text: str, needle: str) -> str:
    lines = [line for line in text.splitlines() if needle in line]
    assert lines, f"{needle!r} is not in the document"
    return lines[0]


# --- data made through the services ---------------------------------------------------------------------------


@pytest.fixture
def campaign():
    return Campaign.objects.current()


def _answer_all(inspection, by, fail=(), *, today):
    for n in range(1, 17):
        failed = n in fail
        answer_save(
            inspection=inspection,
            item_number=n,
            result="fails" if failed else "meets",
            note="缺少垃圾分类投放点" if failed else "",
            by=by,
            today=today,
        )


def _signed(assignment, by, *, day, fail=()):
    # The round ended in 2021: each step tells the services the day it happened.
    inspection = inspection_start(assignment=assignment, by=by, today=D(*day))
    _answer_all(inspection, by, fail, today=D(*day))
    return inspection_sign(
        inspection=inspection, by=by, summary="现场检查", signed_at=datetime.datetime(*day, 10, 0, tzinfo=LOCAL)
    )


@pytest.fixture
def campaign_data(
    campaign, heping_staff, hexi_staff, reviewer, commission_admin, department_staff, inspector, make_user
):
    """和平区: four pilots, an accepted June 2021 report, a submitted 2021 annual report, two communities that
    met the standard and one that failed item 5. 河西区: two communities, one passed but under an objection decided
    only later, no annual report. The department zjw filed its annual report."""
    heping, hexi = District.objects.get(code=HEPING), District.objects.get(code=HEXI)
    heping_communities = list(Community.objects.filter(street__code="120101001").order_by("code")[:4])
    hexi_communities = list(Community.objects.filter(district=hexi, kind="居委会").order_by("code")[:2])
    enrolment_enrol(
        campaign=campaign, communities=heping_communities, kind="pilot", joined_on=D(2021, 1, 10), by=heping_staff
    )
    enrolment_enrol(
        campaign=campaign, communities=hexi_communities, kind="batch", joined_on=D(2021, 3, 1), by=hexi_staff
    )

    june = report_open(campaign=campaign, kind="monthly", period=D(2021, 6, 1), district=heping, by=heping_staff)
    first_row = SelfAssessment.objects.filter(district=heping, period=D(2021, 6, 1)).order_by("community__code")[0]
    assessment_save(
        report=june,
        assessment=first_row,
        version=first_row.version,
        stage="meets",
        items=ALL_MEET,
        notes={},
        by=heping_staff,
    )
    june = report_save(
        report=june,
        version=june.version,
        data={
            "progress": "完成四个试点社区的调查摸底",
            "practices": "结合老旧小区改造推进创建",
            "problems": "部分社区缺少分类投放点",
            "next_plan": "督促整改并申请复查",
        },
        by=heping_staff,
    )
    june = report_accept(report=report_submit(report=june, by=heping_staff), by=reviewer)

    annual = report_open(campaign=campaign, kind="annual", period=D(2021, 1, 1), district=heping, by=heping_staff)
    annual = report_save(
        report=annual,
        version=annual.version,
        data={"progress": "全年推进绿色社区创建", "next_plan": "明年达标率提高到百分之六十"},
        by=heping_staff,
    )
    report_submit(report=annual, by=heping_staff)
    zjw = Department.objects.get(code="zjw")
    dept = report_open(campaign=campaign, kind="annual", period=D(2021, 1, 1), department=zjw, by=department_staff)
    dept = report_save(
        report=dept, version=dept.version, data={"progress": "牵头组织全市验收工作"}, by=department_staff
    )
    report_submit(report=dept, by=department_staff)

    round_ = round_create(
        name="2021年度验收",
        year=2021,
        opens_on=D(2021, 9, 1),
        closes_on=D(2021, 12, 31),
        notice_days=7,
        by=commission_admin,
    )
    assigned = {"by": commission_admin, "today": D(2021, 9, 1)}
    team = team_create(round=round_, name="第一验收组", members=[inspector], **assigned)
    a, b, c = assignments_create(round=round_, communities=heping_communities[:3], team=team, **assigned)
    (d,) = assignments_create(round=round_, communities=hexi_communities[:1], team=team, **assigned)
    passed_a = _signed(a, inspector, day=(2021, 9, 10))
    _signed(b, inspector, day=(2021, 10, 12))
    failed = _signed(c, inspector, day=(2021, 9, 15), fail={5})
    rectification_done(
        rectification=failed.rectifications.get(), note="已增设分类投放点", by=heping_staff, today=D(2021, 9, 20)
    )
    passed_d = _signed(d, inspector, day=(2021, 11, 2))
    objection = objection_record(
        inspection=passed_d,
        received_on=D(2021, 11, 4),
        text="绿化养护不到位",
        raised_by="居民王某",
        by=commission_admin,
    )
    objection_decide(objection=objection, decision="dismissed", note="经复核符合标准", by=commission_admin)
    return {
        "heping": heping,
        "hexi": hexi,
        "passed": heping_communities[0],
        "failed": heping_communities[2],
        "objected": hexi_communities[0],
        "passed_inspection": passed_a,
    }


# --- each kind, read back -------------------------------------------------------------------------------------


def test_city_bulletin_names_every_district_with_its_figures_and_embeds_a_cjk_font(campaign, campaign_data, tmp_path):
    spec = document_spec(kind="city-bulletin", period="2021-12")
    pdf = document_pdf(spec, generated_on=D(2022, 1, 6))
    assert pdf.startswith(b"%PDF") and len(pdf) <= 500 * 1024
    text = pdf_text(pdf, tmp_path)
    assert "天津市住房和城乡建设委员会" in text
    assert "天津市绿色社区创建工作情况通报" in text and "（2021年12月）" in text
    assert "2021年12月31日" in text and "生成于2022年1月6日" in text
    assert "— 1 —" in pdf_text(pdf, tmp_path, mode="-raw")
    on = D(2021, 12, 31)
    roster = roster_communities(campaign=campaign, on=on)
    heping_roster = roster.filter(district__code=HEPING).count()
    heping = _line_with(text, "和平区 ")
    numbers = re.findall(r"[\d./%]+", heping)
    assert numbers[1:5] == [str(heping_roster), "4", "4", "1/6"]
    assert numbers[5:7] == ["2", percent_label(share_of(2, heping_roster))]
    assert "进度滞后" in heping
    # 河西区's passing community was under an objection decided only after the month: not met on 31 December.
    hexi = re.findall(r"[\d./%]+", _line_with(text, "河西区 "))
    assert hexi[5:7] == ["0", "0.0%"]
    assert f"截至2021年12月31日，全市共有城市社区{roster.count()}个" in text.replace("\n", "").replace(" ", "")
    for district in District.objects.all():
        assert district.name in text
    flat = text.replace("\n", "").replace(" ", "")
    assert "尚有街道未启动试点的区：" in flat and "和平区（5个街道）" in flat
    assert "图1" in text and "图2" in text and "目标 30.0%" in text
    assert embedded_cjk_fonts(pdf, tmp_path)


def test_district_monthly_report_prints_figures_narrative_and_each_communitys_marks(campaign_data, tmp_path):
    spec = document_spec(kind="district-monthly", period="2021-06", scope_code=HEPING)
    pdf = document_pdf(spec)
    text = pdf_text(pdf, tmp_path)
    assert text.lstrip().startswith("和平区")
    assert "和平区绿色社区创建工作月报" in text and "（2021年6月）" in text
    assert "完成四个试点社区的调查摸底" in text and "督促整改并申请复查" in text
    assert "审核通过" in text and "— 2 —" in pdf_text(pdf, tmp_path, mode="-raw")
    community = campaign_data["passed"]
    row = _line_with(text, community.name)
    assert row.count("✓") == 16
    assert _line_with(text, "参与创建社区数").split()[-2:] == ["4", "—"]  # all four joined in January
    assert _line_with(text, "自评达标社区数").split()[-2:] == ["1", "+1"]
    assert embedded_cjk_fonts(pdf, tmp_path)


def test_annual_compilation_gives_each_filer_a_page_and_says_who_has_not_submitted(campaign_data, tmp_path):
    spec = document_spec(kind="annual", period="2021")
    pdf = document_pdf(spec)
    text = pdf_text(pdf, tmp_path, mode="")
    assert "天津市绿色社区创建年度工作报告汇编" in text and "（2021年度）" in text
    pages = [page.strip().splitlines() for page in text.split("\f") if page.strip()]
    starts = {lines[0]: lines for lines in pages}
    assert "全年推进绿色社区创建" in starts["和平区"] and "明年达标率提高到百分之六十" in starts["和平区"]
    assert starts["河西区"][1] == "未报送"
    zjw = Department.objects.get(code="zjw").name
    assert "牵头组织全市验收工作" in starts[zjw]
    other_department = Department.objects.exclude(code="zjw").order_by("order", "code").first().name
    assert starts[other_department][1] == "未报送"
    assert len(pages) >= 1 + District.objects.count() + Department.objects.count()
    flat = text.replace("\n", "")
    assert "已报送1个区、1个市级部门" in flat
    assert embedded_cjk_fonts(pdf, tmp_path)


def test_acceptance_record_lists_results_notes_signatures_rectification_and_objections(campaign_data, tmp_path):
    failed = campaign_data["failed"]
    pdf = document_pdf(document_spec(kind="acceptance-record", scope_code=failed.code))
    text = pdf_text(pdf, tmp_path)
    assert failed.name in text and failed.code in text and "验收记录" in text
    assert "2021年度验收" in text and "第一验收组" in text and "inspector-1" in text
    assert "2021年9月15日" in text
    item_five = _line_with(text, "缺少垃圾分类投放点")
    assert item_five.split()[0] == "5"
    assert "已增设分类投放点" in text
    assert "尚未达到创建要求" in text

    objected = campaign_data["objected"]
    text = pdf_text(document_pdf(document_spec(kind="acceptance-record", scope_code=objected.code)), tmp_path)
    assert "绿化养护不到位" in text and "居民王某" in text and "经复核符合标准" in text
    assert "2021年11月2日至2021年11月9日" in text
    assert "已达到创建要求" in text  # the objection was dismissed since


@pytest.mark.parametrize(
    ("kind", "period", "scope", "message"),
    [
        ("poster", "2021-06", "", "请选择要生成的文件"),
        ("city-bulletin", "2021/06", "", "请按YYYY-MM格式填写月份"),
        ("city-bulletin", "2019-06", "", "不在创建行动期间"),
        ("city-bulletin", "2021-06", HEPING, "该文件覆盖全市"),
        ("district-monthly", "2021-06", "", "请选择区"),
        ("district-monthly", "2021-06", "999999", "没有代码为999999的区"),
        ("district-monthly", "2021-07", HEPING, "和平区尚未填报2021年7月的月度报告"),
        ("annual", "2020", "", "2020年没有年度工作报告"),
        ("annual", "21", "", "请按YYYY格式填写年份"),
        ("acceptance-record", "", "120101999999", "没有代码为120101999999的社区"),
        ("acceptance-record", "2021", "120101001001", "无需填写期间"),
    ],
)
def test_requests_that_cannot_be_made_are_refused_in_plain_chinese(
    campaign_data, commission_admin, kind, period, scope, message
):
    with pytest.raises(DocumentError, match=message):
        document_request(kind=kind, period=period, scope_code=scope, by=commission_admin)
    assert not GeneratedDocument.objects.exists()


# --- the job ----------------------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def jobs_in_process():
    """Jobs these tests queue run in this process, as in the embedded default, even when REDIS_URL names a broker
    (under CI): no worker serves this module."""
    from greencommunity.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return Path(settings.MEDIA_ROOT)


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_making_a_document_twice_leaves_one_row_and_one_file(
    campaign_data, commission_admin, media, django_capture_on_commit_callbacks
):
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            document = document_request(kind="city-bulletin", period="2021-12", scope_code="", by=commission_admin)
    document_render(document.pk)  # a redelivered job, run once more by hand
    assert GeneratedDocument.objects.count() == 1
    document.refresh_from_db()
    assert (document.status, document.progress, document.error) == ("done", 100, "")
    folder = f"documents/{document.campaign_id}"
    assert _files(media) == [media / folder / "city-bulletin" / "2021-12" / "city.pdf"]
    assert document.file.name == f"{folder}/city-bulletin/2021-12/city.pdf"
    assert document.size == (media / document.file.name).stat().st_size > 0
    assert document.finished_at is not None


def test_a_job_overtaken_by_a_newer_request_leaves_the_document_to_it(
    campaign_data, commission_admin, media, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        document = document_request(kind="annual", period="2021", scope_code="", by=commission_admin)
    stale = document.task_id
    with django_capture_on_commit_callbacks(execute=False):
        document = document_request(kind="annual", period="2021", scope_code="", by=commission_admin)
    assert len(callbacks) == 1 and document.task_id != stale
    assert document_render.apply(args=[document.pk], task_id=stale).get() == "superseded"
    document.refresh_from_db()
    assert document.status == "queued" and not _files(media)
    assert document_render.apply(args=[document.pk], task_id=document.task_id).get() == "done"


def test_a_failing_render_marks_the_document_failed_with_a_message(campaign, campaign_data, media):
    # A row whose period the campaign no longer covers, as after the campaign's dates were changed.
    document = GeneratedDocument.objects.create(campaign=campaign, kind="city-bulletin", period="2019-06")
    with pytest.raises(DocumentError):
        document_render(document.pk)
    document.refresh_from_db()
    assert document.status == "failed" and "2019年6月不在创建行动期间" in document.error
    assert not _files(media)


# --- the pages --------------------------------------------------------------------------------------------------


def test_the_commission_asks_watches_and_downloads_the_bulletin(
    campaign_data, commission_admin, client_for, media, django_capture_on_commit_callbacks
):
    client = client_for(commission_admin)
    page = client.get(reverse("documents"))
    assert page.status_code == 200 and 'name="kind"' in page.text and "全市工作情况通报" in page.text

    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client.post(reverse("document_request"), {"kind": "city-bulletin", "period": "2021-12"})
    assert response.status_code == 302 and len(queued) == 1
    document = GeneratedDocument.objects.get()
    status = client.get(reverse("document_status", args=[document.pk]), headers={"HX-Request": "true"})
    assert 'hx-trigger="every 1s"' in status.text and "<progress" in status.text and "排队中" in status.text
    assert client.get(reverse("document_download", args=[document.pk])).status_code == 404

    queued[0]()  # the worker picks the job up
    status = client.get(reverse("document_status", args=[document.pk]), headers={"HX-Request": "true"})
    assert "hx-trigger" not in status.text and reverse("document_download", args=[document.pk]) in status.text
    download = client.get(reverse("document_download", args=[document.pk]))
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    disposition = download["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=utf-8''" in disposition
    assert unquote(disposition.split("''", 1)[1]) == "天津市绿色社区创建工作情况通报（2021年12月）.pdf"
    body = b"".join(download.streaming_content)  # reading it to the end closes the file
    assert body.startswith(b"%PDF") and len(body) == document.__class__.objects.get().size


def test_a_bad_request_comes_back_as_a_message_not_an_error(campaign_data, commission_admin, client_for):
    client = client_for(commission_admin)
    response = client.post(reverse("document_request"), {"kind": "city-bulletin", "period": "June"}, follow=True)
    assert response.status_code == 200 and "请按YYYY-MM格式填写月份" in response.text
    assert not GeneratedDocument.objects.exists()


def test_district_staff_make_and_fetch_only_their_own_districts_documents(
    campaign_data, heping_staff, hexi_staff, commission_admin, client_for, media, django_capture_on_commit_callbacks
):
    heping = client_for(heping_staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = heping.post(
            reverse("document_request"), {"kind": "district-monthly", "period": "2021-06", "district": HEPING}
        )
        assert response.status_code == 302
        record = heping.post(
            reverse("document_request"), {"kind": "acceptance-record", "community": campaign_data["failed"].code}
        )
        assert record.status_code == 302
        assert (
            heping.post(
                reverse("document_request"), {"kind": "district-monthly", "period": "2021-06", "district": HEXI}
            ).status_code
            == 404
        )
        assert (
            heping.post(
                reverse("document_request"),
                {"kind": "acceptance-record", "community": campaign_data["objected"].code},
            ).status_code
            == 404
        )
        assert (
            heping.post(reverse("document_request"), {"kind": "city-bulletin", "period": "2021-12"}).status_code == 404
        )
        document_request(kind="city-bulletin", period="2021-12", scope_code="", by=commission_admin)
    own = GeneratedDocument.objects.get(kind="district-monthly")
    bulletin = GeneratedDocument.objects.get(kind="city-bulletin")
    assert own.status == "done" and GeneratedDocument.objects.filter(kind="acceptance-record", status="done").exists()
    page = heping.get(reverse("documents"))
    assert reverse("document_download", args=[own.pk]) in page.text
    assert reverse("document_status", args=[bulletin.pk]) not in page.text
    assert "全市工作情况通报" not in page.text and campaign_data["failed"].name in page.text
    download = heping.get(reverse("document_download", args=[own.pk]))
    assert b"".join(download.streaming_content).startswith(b"%PDF")
    assert download.status_code == 200 and "%E5%92%8C%E5%B9%B3%E5%8C%BA" in download["Content-Disposition"]
    assert heping.get(reverse("document_download", args=[bulletin.pk])).status_code == 404

    hexi = client_for(hexi_staff)
    for name in ("document_status", "document_download"):
        assert hexi.get(reverse(name, args=[own.pk])).status_code == 404
    page = hexi.get(reverse("documents"))
    assert page.status_code == 200 and reverse("document_status", args=[own.pk]) not in page.text


def test_department_staff_read_the_city_documents_and_others_see_nothing(
    campaign_data,
    commission_admin,
    department_staff,
    inspector,
    heping_street_staff,
    client_for,
    media,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        annual = document_request(kind="annual", period="2021", scope_code="", by=commission_admin)
        monthly = document_request(kind="district-monthly", period="2021-06", scope_code=HEPING, by=commission_admin)
    department = client_for(department_staff)
    download = department.get(reverse("document_download", args=[annual.pk]))
    assert b"".join(download.streaming_content).startswith(b"%PDF")
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert department.get(reverse("document_download", args=[monthly.pk])).status_code == 404
    assert (
        department.post(
            reverse("document_request"), {"kind": "district-monthly", "period": "2021-06", "district": HEPING}
        ).status_code
        == 404
    )
    for user in (inspector, heping_street_staff):
        client = client_for(user)
        assert client.get(reverse("documents")).status_code == 404
        assert client.get(reverse("document_status", args=[monthly.pk])).status_code == 404
        assert client.get(reverse("document_download", args=[monthly.pk])).status_code == 404


# --- the command ------------------------------------------------------------------------------------------------


def test_render_report_writes_the_pdf_and_explains_a_bad_request(campaign_data, tmp_path):
    out = tmp_path / "heping.pdf"
    call_command("render_report", "district-monthly", "--period", "2021-06", "--district", HEPING, "--out", str(out))
    assert "和平区绿色社区创建工作月报" in pdf_text(out.read_bytes(), tmp_path)
    with pytest.raises(CommandError, match="请按YYYY-MM格式填写月份"):
        call_command("render_report", "city-bulletin", "--period", "2021", "--out", str(tmp_path / "x.pdf"))
    with pytest.raises(CommandError, match="does not exist"):
        call_command("render_report", "annual", "--period", "2021", "--out", str(tmp_path / "nowhere" / "x.pdf"))


# --- the bulletin as an official document (GB/T 9704) -----------------------------------------------------------


def _red_issuer_centre_mm(pdf: bytes, tmp_path: Path) -> float:
    """The horizontal centre of the red issuing body's ink on page 1, in mm from the page's left edge, read from the
    page rendered at 150 dpi (the red rule under it, as wide as the type area, is left out)."""
    from PIL import Image

    if not shutil.which("pdftoppm"):
        pytest.fail("poppler-utils (pdftoppm) must be installed to look at the rendered page")
    (tmp_path / "page.pdf").write_bytes(pdf)
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "150",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(tmp_path / "page.pdf"),
            str(tmp_path / "page"),
        ],
        check=True,
    )
    image = Image.open(tmp_path / "page.png").convert("RGB")
    width, height = image.size
    per_mm = width / 210
    rgb = image.tobytes()  # three bytes a pixel, row after row

    def is_red(x: int, y: int) -> bool:
        r, g, b = rgb[(y * width + x) * 3 : (y * width + x) * 3 + 3]
        return r > 150 and g < 90 and b < 90

    lefts, rights = [], []
    for y in range(int(height * 0.35)):
        red = [x for x in range(width) if is_red(x, y)]
        if red and (red[-1] - red[0]) / per_mm < 140:
            lefts.append(red[0])
            rights.append(red[-1])
    assert lefts, "no red issuing body on the first page"
    return (min(lefts) + max(rights)) / 2 / per_mm


def _bulletin(commission_admin, capture, period: str = "2021-12") -> GeneratedDocument:
    with capture(execute=True):
        document = document_request(kind="city-bulletin", period=period, scope_code="", by=commission_admin)
    document.refresh_from_db()
    return document


def test_the_red_issuing_body_is_centred_in_the_type_area(campaign_data, tmp_path):
    """Issue 14 item 13: GB/T 9704 centres the issuing body in the type area (left margin 28 mm, 156 mm wide, so its
    centre is 106 mm from the page's left edge); it sat about 9 mm right of it, pushed by the paragraph indent."""
    pdf = document_pdf(document_spec(kind="city-bulletin", period="2021-12"))
    assert abs(_red_issuer_centre_mm(pdf, tmp_path) - (28 + 156 / 2)) <= 1


def test_the_bulletin_is_numbered_once_and_keeps_its_number_when_made_again(
    campaign_data, commission_admin, media, tmp_path, django_capture_on_commit_callbacks
):
    """Issue 14 item 13: the 发文字号 comes from the campaign's pattern and the year's counter (both data, the counter
    continuing where the commission set it), is given at the first making, and survives making it again and a job
    that runs twice."""
    campaign = Campaign.objects.current()
    assert campaign.document_number_pattern == "津建绿〔{year}〕{number}号"
    DocumentNumberCounter.objects.create(pattern=campaign.document_number_pattern, year=2021, last_number=11)

    document = _bulletin(commission_admin, django_capture_on_commit_callbacks)
    assert document.document_number == "津建绿〔2021〕12号"
    assert "津建绿〔2021〕12号" in pdf_text((media / document.file.name).read_bytes(), tmp_path)
    assert AuditEntry.objects.filter(object_id=str(document.pk), changes__document_number=["", "津建绿〔2021〕12号"])

    document = _bulletin(commission_admin, django_capture_on_commit_callbacks)
    document_render(document.pk)  # a redelivered job
    document.refresh_from_db()
    assert document.document_number == "津建绿〔2021〕12号"
    assert "津建绿〔2021〕12号" in pdf_text((media / document.file.name).read_bytes(), tmp_path)
    assert DocumentNumberCounter.objects.get(year=2021).last_number == 12

    # The next bulletin of the year takes the next number; one dated in another year starts that year's count.
    assert _bulletin(commission_admin, django_capture_on_commit_callbacks, "2021-11").document_number == (
        "津建绿〔2021〕13号"
    )
    assert _bulletin(commission_admin, django_capture_on_commit_callbacks, "2022-01").document_number == (
        "津建绿〔2022〕1号"
    )
    # The district's monthly report is not the commission's official document: it has no number.
    with django_capture_on_commit_callbacks(execute=True):
        monthly = document_request(kind="district-monthly", period="2021-06", scope_code=HEPING, by=commission_admin)
    monthly.refresh_from_db()
    assert monthly.status == "done" and monthly.document_number == ""


def test_the_pattern_and_the_main_recipients_are_the_campaigns_data(campaign_data, tmp_path):
    """Issue 14 item 13: the main recipients (主送机关) stand below the title, at the left edge, with a full-width
    colon; a pattern that cannot number documents is refused in Chinese."""
    campaign = Campaign.objects.current()
    spec = document_spec(kind="city-bulletin", period="2021-12")
    text = pdf_text(document_pdf(spec), tmp_path)
    title, recipients = _line_with(text, "情况通报"), _line_with(text, "各区人民政府")
    assert recipients.strip() == "各区人民政府："
    assert text.index(title) < text.index(recipients) < text.index("一、总体进展")
    assert len(recipients) - len(recipients.lstrip()) < len(title) - len(title.lstrip())

    campaign.main_recipients = "各区人民政府，市各有关部门"
    campaign.save()
    spec = document_spec(kind="city-bulletin", period="2021-12")
    assert "各区人民政府，市各有关部门：" in pdf_text(document_pdf(spec), tmp_path)
    for pattern, message in (
        ("津建绿〔{year}〕号", "格式中必须包含{number}"),
        ("津建绿〔{yr}〕{number}号", "年份写作{year}，序号写作{number}"),
    ):
        campaign.document_number_pattern = pattern
        with pytest.raises(ValidationError, match=re.escape(message)):
            campaign.full_clean()


def test_a_bulletin_made_years_later_carries_its_issue_date_and_says_apart_when_it_was_made(campaign_data, tmp_path):
    """Issue 14 item 13: the December 2021 bulletin states the figures as of 31 December 2021 and is dated that day,
    however late it is made; the day it was made is a small line of its own, not the date under the signature."""
    spec = document_spec(kind="city-bulletin", period="2021-12", today=D(2026, 12, 7))
    text = pdf_text(document_pdf(spec, generated_on=D(2026, 12, 7)), tmp_path)
    signature = text[text.rindex("天津市住房和城乡建设委员会") :]
    lines = [line.strip() for line in signature.splitlines() if line.strip()]
    assert lines[:3] == ["天津市住房和城乡建设委员会", "2021年12月31日", "生成于2026年12月7日"]
    assert "2026年12月7日" not in text.replace("生成于2026年12月7日", "")
    # A document made on its own issue date says nothing more.
    same_day = pdf_text(document_pdf(spec, generated_on=D(2021, 12, 31)), tmp_path)
    assert "生成于" not in same_day and "2021年12月31日" in same_day


def test_the_commission_sets_the_pattern_recipients_and_counter_in_the_admin(client_for, commission_admin):
    """Issue 14 item 13: the document number's pattern, the main recipients and where the count continues are
    edited in the admin (and audited like every admin change)."""
    client = client_for(commission_admin)
    campaign = Campaign.objects.current()
    page = client.get(reverse("admin:reporting_campaign_change", args=[campaign.pk])).text
    assert 'name="document_number_pattern"' in page and 'name="main_recipients"' in page
    response = client.post(
        reverse("admin:reporting_documentnumbercounter_add"),
        {"pattern": "津建绿〔{year}〕{number}号", "year": "2022", "last_number": "11"},
    )
    assert response.status_code == 302
    counter = DocumentNumberCounter.objects.get()
    assert str(counter) == "津建绿〔2022〕11号"
    assert AuditEntry.objects.filter(content_type__model="documentnumbercounter", object_id=str(counter.pk)).exists()
