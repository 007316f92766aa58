"""Demo supervision on the real timeline, through the services: an on-site check by the commission in June 2021
whose two required actions were closed (one after being sent back once), a thematic survey by 市城市管理委 in
March 2022 whose answer still waits to be closed, and a directive by 市水务局 in September 2022 that 河东区 has not
answered — overdue ever since."""

from __future__ import annotations

import datetime
import io
import zoneinfo
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image, ImageDraw

from districts.models import Community, District
from reporting.campaigns.selectors import current_standard_items
from standards.models import Evidence

from . import services
from .models import Finding, RequiredAction, RequiredActionStep, Supervision

D = datetime.date
LOCAL = zoneinfo.ZoneInfo(settings.TIME_ZONE)
NEEDED = ("commission", "dept-cgw", "dept-swj", "district-120101", "district-120103", "district-120104")


def _photo(name: str, colour: tuple[int, int, int]) -> SimpleUploadedFile:
    """A small drawn picture standing in for a site photo."""
    image = Image.new("RGB", (480, 320), (214, 222, 226))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 220, 480, 320), fill=(120, 124, 128))
    draw.rectangle((60, 170, 190, 250), fill=colour)
    draw.rectangle((250, 180, 380, 255), fill=(60, 90, 140))
    draw.line((0, 300, 480, 300), fill=(240, 200, 40), width=6)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def _at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=LOCAL)


def _dated(supervision: Supervision) -> None:
    """The services stamp "now"; the demo's records (and their photos) carry the day they stand for."""
    Supervision.objects.filter(pk=supervision.pk).update(created_at=_at(supervision.held_on))
    findings = Finding.objects.filter(supervision=supervision)
    findings.update(recorded_at=_at(supervision.held_on, 16))
    _files_of(Finding, findings.values("pk")).update(uploaded_at=_at(supervision.held_on, 16))
    for step in RequiredActionStep.objects.filter(required_action__supervision=supervision):
        RequiredActionStep.objects.filter(pk=step.pk).update(at=_at(step.on, 15))


def _answered_files_dated(required: RequiredAction, day: datetime.date) -> None:
    """The files just sent with an answer, dated that answer's day (older answers' files are dated already)."""
    recent = timezone.now() - datetime.timedelta(hours=1)
    _files_of(RequiredAction, [required.pk]).filter(uploaded_at__gte=recent).update(uploaded_at=_at(day, 15))


def _files_of(model: type, ids: Any) -> Any:
    return Evidence.objects.filter(owner_type=ContentType.objects.get_for_model(model), owner_id__in=ids)


def seed_supervision() -> str:
    if Supervision.objects.exists():
        return "supervision already present, left as it is"
    users = {u.username: u for u in get_user_model().objects.filter(username__in=NEEDED)}

    if any(name not in users for name in NEEDED):
        return "supervision skipped: the demo users are missing"
    district = {d.code: d for d in District.objects.filter(code__in=["120101", "120102", "120103", "120104"])}
    item = {i.number: i for i in current_standard_items()}
    heping_community = Community.objects.filter(district=district["120101"]).order_by("code").first()

    # 1. The commission's on-site check of the pilots in 和平区 and 河西区, June 2021: both actions closed.
    check = services.supervision_open(
        kind=Supervision.Kind.SITE_CHECK,
        title="试点社区创建情况现场检查",
        held_on=D(2021, 6, 18),
        districts=[district["120101"], district["120103"]],
        communities=[heping_community] if heping_community else [],
        items=[item[5], item[8]],
        participants="市住房城乡建设委城市更新处、市城市管理委市容环境处，和平区、河西区住房建设部门及相关街道负责同志",
        summary="检查组实地查看了两区试点社区，听取了街道和社区的情况介绍。总体推进有序，但停车秩序和垃圾分类设施仍有短板。",
        by=users["commission"],
        today=D(2021, 6, 18),
    )
    services.finding_add(
        supervision=check,
        item=item[8],
        district=district["120101"],
        community=heping_community,
        text="部分楼栋间通道停放私家车，占压消防通道，未施划消防通道标线。",
        upload=_photo("消防通道占压.jpg", (170, 40, 40)),
        caption="楼栋间消防通道被占压",
        by=users["commission"],
    )
    services.finding_add(
        supervision=check,
        item=item[5],
        district=district["120103"],
        text="个别小区垃圾分类投放点设置不规范，桶站标识不清，无督导人员值守。",
        by=users["commission"],
    )
    heping = services.required_action_set(
        supervision=check,
        district=district["120101"],
        community=heping_community,
        item=item[8],
        text="清理占压消防通道的车辆，施划消防通道标线并设置警示标识。",
        due_on=D(2021, 7, 31),
        by=users["commission"],
        on=D(2021, 6, 21),
    )
    services.required_action_answer(
        required=heping,
        text="已协调物业清理占压车辆，施划消防通道标线约320米，设置警示牌6块。",
        upload=_photo("标线施划后.jpg", (230, 200, 40)),
        caption="施划标线后的消防通道",
        by=users["district-120101"],
        on=D(2021, 7, 20),
    )
    _answered_files_dated(heping, D(2021, 7, 20))
    services.required_action_close(
        required=heping, note="经现场复核，整改到位。", by=users["commission"], on=D(2021, 7, 26)
    )
    hexi = services.required_action_set(
        supervision=check,
        district=district["120103"],
        item=item[5],
        text="规范垃圾分类桶站设置，更新桶站标识，落实桶前值守。",
        due_on=D(2021, 8, 15),
        by=users["commission"],
        on=D(2021, 6, 21),
    )
    services.required_action_answer(
        required=hexi, text="已更新桶站标识12处。", by=users["district-120103"], on=D(2021, 8, 10)
    )
    services.required_action_return(
        required=hexi,
        reason="未说明桶前值守安排，也未提供整改后照片，请补充后再报。",
        by=users["commission"],
        on=D(2021, 8, 12),
    )
    services.required_action_answer(
        required=hexi,
        text="已更新桶站标识12处，招募志愿者和物业人员在早晚投放高峰桶前值守，并附整改后照片。",
        upload=_photo("桶站整改后.jpg", (40, 130, 70)),
        by=users["district-120103"],
        on=D(2021, 8, 25),
    )
    _answered_files_dated(hexi, D(2021, 8, 25))
    services.required_action_close(required=hexi, by=users["commission"], on=D(2021, 8, 30))
    _dated(check)

    # 2. 市城市管理委's thematic survey in 南开区, March 2022: answered, waiting to be closed.
    survey = services.supervision_open(
        kind=Supervision.Kind.SURVEY,
        title="社区绿化与公共活动空间专题调研",
        held_on=D(2022, 3, 10),
        districts=[district["120104"]],
        items=[item[7]],
        participants="市城市管理委园林绿化处，南开区城市管理委",
        by=users["dept-cgw"],
        today=D(2022, 3, 10),
    )
    services.finding_add(
        supervision=survey,
        item=item[7],
        text="部分老旧小区绿地被占用种菜、堆物，公共活动空间不足。",
        by=users["dept-cgw"],
    )
    nankai = services.required_action_set(
        supervision=survey,
        district=district["120104"],
        item=item[7],
        text="制定老旧小区绿地补植和公共空间腾退计划，报市城市管理委。",
        due_on=D(2022, 4, 30),
        by=users["dept-cgw"],
        on=D(2022, 3, 14),
    )
    services.required_action_answer(
        required=nankai,
        text="已制定补植计划，涉及8个小区绿地约2.1万平方米，腾退公共空间5处，计划已于4月18日报送。",
        by=users["district-120104"],
        on=D(2022, 4, 20),
    )
    _dated(survey)

    # 3. 市水务局's directive to 河东区, September 2022: not answered, overdue since its deadline.
    directive = services.supervision_open(
        kind=Supervision.Kind.DIRECTIVE,
        title="老旧小区雨污分流改造督办",
        held_on=D(2022, 9, 5),
        districts=[district["120102"]],
        items=[item[5]],
        participants="市水务局排水处，河东区水务局",
        by=users["dept-swj"],
        today=D(2022, 9, 5),
    )
    services.required_action_set(
        supervision=directive,
        district=district["120102"],
        item=item[5],
        text="完成创建社区雨污混接点位排查，制定改造计划并明确完成时限。",
        due_on=D(2022, 10, 31),
        by=users["dept-swj"],
        on=D(2022, 9, 5),
    )
    _dated(directive)
    return "supervision: 3 actions, 4 required actions (2 closed, 1 awaiting closure, 1 overdue)"
