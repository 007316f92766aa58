"""Fixtures for supervision: media in a temporary folder, a second department, photos and a ready action."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from districts.models import District, Role
from reporting.supervision import services
from standards.models import StandardItem

D = datetime.date


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def other_department_staff(make_user):
    """Staff of 市城市管理委 (cgw), another department than `department_staff` (zjw)."""
    return make_user("dept-cgw", Role.DEPARTMENT_STAFF, department="cgw")


def photo(name: str = "现场.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (0, 128, 0)).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def district(code: str) -> District:
    return District.objects.get(code=code)


def item(number: int) -> StandardItem:
    return StandardItem.objects.get(number=number)


@pytest.fixture
def directive(department_staff):
    """A directive by 市住房城乡建设委 (department zjw) to 和平区 and 河西区 on 2021-06-18, on items 5 and 8."""
    return services.supervision_open(
        kind="directive",
        title="消防通道专项督办",
        held_on=D(2021, 6, 18),
        districts=[district("120101"), district("120103")],
        items=[item(5), item(8)],
        participants="城市更新处 王强",
        by=department_staff,
        today=D(2021, 6, 18),
    )


@pytest.fixture
def heping_action(directive, department_staff):
    """和平区 must clear the fire lanes by 2021-07-31 (set on 2021-06-21)."""
    return services.required_action_set(
        supervision=directive,
        district=district("120101"),
        item=item(8),
        text="清理占压消防通道车辆",
        due_on=D(2021, 7, 31),
        by=department_staff,
        on=D(2021, 6, 21),
    )
