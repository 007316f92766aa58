"""Demo funds for 2021 and 2022 and every unit's responsible officials, for seed_demo. Deterministic (a fixed seed)
and safe to run twice: nothing is added once any funds line or official exists."""

from __future__ import annotations

import random
from decimal import Decimal

from django.db import transaction

from districts.audit import audit_entry, created, snapshot
from districts.models import AuditEntry, Community, Department, District, ResponsibleOfficial
from reporting.models import Enrolment

from .models import FundEntry, FundingSource
from .services import FIELDS

# Districts with funds in the demo, and how many of their enrolled communities (first by code) record them.
DISTRICTS = {"120101": 8, "120103": 7, "120104": 6, "120106": 4, "120116": 8, "120119": 3}
# (source code, chance a community draws on it, committed range in 万元)
SOURCES = (
    ("old-estate", 0.7, (80, 600)),
    ("sponge-city", 0.35, (40, 260)),
    ("green-retrofit", 0.3, (20, 150)),
    ("green-building", 0.15, (15, 90)),
    ("smart-city", 0.3, (8, 60)),
    ("fiscal", 0.6, (5, 40)),
    ("bank-credit", 0.12, (50, 300)),
    ("social-capital", 0.3, (3, 45)),
)
# Share of the year's committed funds spent by the year's end: the work of 2022 was still under way.
SPENT_SHARE = {2021: (0.75, 1.0), 2022: (0.45, 0.9)}
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = [
    "建国",
    "志强",
    "海峰",
    "秀兰",
    "丽华",
    "国庆",
    "卫东",
    "红梅",
    "振华",
    "立新",
    "文杰",
    "淑英",
    "德明",
    "春燕",
    "晓东",
    "玉珍",
    "永刚",
    "桂芳",
    "宏伟",
    "静怡",
    "学军",
    "凤英",
    "长江",
    "雪松",
    "晨阳",
    "亚军",
    "金凤",
    "云飞",
    "树林",
    "荣华",
]


def _yuan(rng: random.Random, low: float, high: float) -> Decimal:
    """An amount in yuan rounded to the hundred, between `low` and `high` 万元."""
    return Decimal(round(rng.uniform(low, high) * 100)) * 100


def seed_funds() -> str:
    if FundEntry.objects.exists():
        return "funds already present, left as they are"
    rng = random.Random(2021)
    sources = {s.code: s for s in FundingSource.objects.all()}
    entries: list[FundEntry] = []
    for code, count in DISTRICTS.items():
        enrolled = Enrolment.objects.filter(community__district__code=code).values("community_id")
        communities = list(Community.objects.filter(pk__in=enrolled).order_by("code")[:count])
        for community in communities:
            for year in (2021, 2022):
                chosen = [s for s in SOURCES if rng.random() < s[1]] or [SOURCES[0]]
                for source_code, _chance, (low, high) in chosen:
                    committed = _yuan(rng, low, high)
                    spent = (committed * Decimal(rng.uniform(*SPENT_SHARE[year]))).quantize(Decimal("100"))
                    entries.append(
                        FundEntry(
                            community=community,
                            district_id=community.district_id,
                            year=year,
                            source=sources[source_code],
                            committed=committed,
                            spent=spent,
                        )
                    )
    with transaction.atomic():
        FundEntry.objects.bulk_create(entries)
        AuditEntry.objects.bulk_create(
            audit_entry(
                actor=None,
                action=AuditEntry.Action.CREATE,
                obj=e,
                district_id=e.district_id,
                changes=created(snapshot(e, FIELDS)),
                source="seed",
            )
            for e in entries
        )
    return f"{len(entries)} funds lines for {len({e.community_id for e in entries})} communities"


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def _phone(rng: random.Random) -> str:
    return f"022-2{rng.randrange(10**6, 10**7)}"


def seed_officials() -> str:
    if ResponsibleOfficial.objects.exists():
        return "responsible officials already present"
    rng = random.Random(2020)
    Level = ResponsibleOfficial.Level
    officials = []
    for district in District.objects.order_by("code"):
        officials += [
            ResponsibleOfficial(
                district=district, level=Level.BUREAU, name=_person(rng), title="副区长", phone=_phone(rng)
            ),
            ResponsibleOfficial(
                district=district,
                level=Level.DIVISION,
                name=_person(rng),
                title="区住房建设委副主任",
                phone=_phone(rng),
            ),
        ]
    for department in Department.objects.all():
        deputy = "副主任" if department.name.endswith("委") else "副局长"
        officials += [
            ResponsibleOfficial(
                department=department, level=Level.BUREAU, name=_person(rng), title=deputy, phone=_phone(rng)
            ),
            ResponsibleOfficial(
                department=department, level=Level.DIVISION, name=_person(rng), title="责任处室处长", phone=_phone(rng)
            ),
        ]
    ResponsibleOfficial.objects.bulk_create(officials)
    return f"{len(officials)} responsible officials"


def seed_funds_demo() -> str:
    return f"{seed_funds()}; {seed_officials()}"
