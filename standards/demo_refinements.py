"""Demo refinements of the standard (细化指标), through the services: 和平区 and 河西区 have approved sub-indicators
under a few items, 南开区 has one waiting for the commission, so the checklist, the self-assessment rows, the
review queue and the comparison all have something to show. Running it again adds nothing."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction

from districts.models import District

from . import refinements as services
from .models import Refinement
from .selectors import current_standard_id, standard_items

# (district code, item number, text, guidance, evidence required, approved)
DEMO = (
    ("120101", 5, "垃圾分类投放点每个楼栋不少于1处", "现场查看投放点位置、标识和四分类桶是否齐全。", True, True),
    ("120101", 5, "设垃圾分类督导员，定时定点督导", "查看督导员排班表，询问两名居民。", False, True),
    ("120101", 8, "消防通道划线并设禁停标识", "沿消防通道步行检查，有无车辆占压。", True, True),
    ("120101", 12, "老旧小区物业服务实现全覆盖", "", False, True),
    ("120103", 5, "厨余垃圾单独收运，台账完整", "查阅近三个月收运台账。", True, True),
    ("120103", 9, "主要出入口设无障碍坡道", "检查坡度、扶手与防滑。", False, True),
    ("120103", 15, "居民公约经居民会议表决通过", "查看会议记录与表决结果。", True, True),
    ("120104", 7, "每个社区至少一处口袋公园或健身场地", "现场查看设施与开放时间。", False, False),
)


def seed_refinements() -> str:
    if Refinement.objects.exists():
        return "refinements already present"
    users = get_user_model().objects
    commission = users.get(username="commission")
    items = {item.number: item for item in standard_items(standard=current_standard_id())}
    approved = submitted = 0
    with transaction.atomic():
        for order, (code, number, text, guidance, evidence, approve) in enumerate(DEMO):
            district = District.objects.get(code=code)
            staff = users.get(username=f"district-{code}")
            refinement = services.refinement_create(
                district=district,
                item=items[number],
                text=text,
                guidance=guidance,
                evidence_required=evidence,
                order=order,
                by=staff,
            )
            refinement = services.refinement_submit(refinement=refinement, by=staff)
            if approve:
                services.refinement_approve(refinement=refinement, by=commission)
                approved += 1
            else:
                submitted += 1
    return f"refinements: {approved} approved, {submitted} waiting for review"
