"""A 和平区 case in each state, made through the services."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from districts.models import Community, District
from reporting.experience import services
from standards.models import StandardItem


def png_upload(name: str = "现场.png") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 12), (31, 122, 77)).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


@pytest.fixture
def heping(db):
    return District.objects.get(code="120101")


@pytest.fixture
def heping_communities(heping):
    return list(Community.objects.filter(district=heping).order_by("code")[:3])


@pytest.fixture
def make_case(heping, heping_communities, heping_staff):
    def make(title: str = "楼道微更新", *, items=(5,), measures="居民议事会商定改造方案。", results="楼道整洁。", **kw):
        return services.case_create(
            district=kw.pop("district", heping),
            title=title,
            communities=kw.pop("communities", heping_communities[:1]),
            items=list(StandardItem.objects.filter(number__in=items)),
            measures=measures,
            results=results,
            cost=kw.pop("cost", Decimal("12000")),
            by=kw.pop("by", heping_staff),
        )

    return make


@pytest.fixture
def published_case(make_case, heping_staff, reviewer):
    def publish(title: str = "垃圾分类积分兑换", **kw):
        case = make_case(title, **kw)
        services.case_submit(case=case, by=heping_staff)
        return services.case_publish(case=case, by=reviewer)

    return publish


@pytest.fixture
def onsite_event(reviewer, heping_communities):
    return services.event_create(
        kind="onsite",
        title="全市绿色社区创建现场会",
        held_on=datetime.date(2021, 9, 16),
        host="市住房城乡建设委",
        communities=heping_communities[:2],
        attendees="各区住房城乡建设委分管负责同志",
        by=reviewer,
    )


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    """Uploaded photos go to a throwaway folder."""
    settings.MEDIA_ROOT = tmp_path
