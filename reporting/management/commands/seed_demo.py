"""Demo users and realistic campaign activity on the real Tianjin roster, following the 2020-11 → 2022-12 timeline.

Deterministic (a fixed random seed) and safe to run twice: existing users and activity are left alone.
"""

from __future__ import annotations

import datetime
import random
from collections import defaultdict

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from districts.models import Community, Department, District, Membership, Role, Street
from districts.services import community_merge
from reporting.models import Campaign, Enrolment
from reporting.services import enrolment_enrol, enrolment_withdraw

PASSWORD = "demo12345"  # noqa: S105 — the documented demo password; seed_demo refuses to run in production
STREET_USERS_PER_DISTRICT = {"120101": 1, "120103": 1, "120116": 2}


class Command(BaseCommand):
    help = "Create demo users (password demo12345) and realistic campaign activity. Refuses in production."

    def handle(self, *args: object, **options: object) -> None:
        if settings.PRODUCTION:
            raise CommandError("seed_demo refuses to run in production mode (DJANGO_ENV=production).")
        if not District.objects.exists():
            raise CommandError("Load the divisions first: python manage.py load_divisions PATH")
        campaign = Campaign.objects.current()
        if campaign is None:
            raise CommandError("No campaign is set up; run migrate first.")
        with transaction.atomic():
            logins = self._users()
            activity = self._activity(campaign)
        self.stdout.write(self.style.SUCCESS(f"demo users ready ({len(logins)}); {activity}"))
        self.stdout.write("Demo logins (password demo12345):")
        for username, label in logins:
            self.stdout.write(f"  {username:<22} {label}")

    def _users(self) -> list[tuple[str, str]]:
        User = get_user_model()
        wanted: list[tuple[str, dict]] = [
            ("commission", {"role": Role.COMMISSION_ADMIN}),
            ("reviewer", {"role": Role.COMMISSION_REVIEWER}),
        ]
        for district in District.objects.order_by("code"):
            wanted.append((f"district-{district.code}", {"role": Role.DISTRICT_STAFF, "district": district}))
        for code, count in STREET_USERS_PER_DISTRICT.items():
            for street in Street.objects.filter(district__code=code, kind=Street.Kind.SUBDISTRICT).order_by("code")[
                :count
            ]:
                wanted.append((f"street-{street.code}", {"role": Role.STREET_STAFF, "street": street}))
        for department in Department.objects.all():
            wanted.append((f"dept-{department.code}", {"role": Role.DEPARTMENT_STAFF, "department": department}))
        for n in (1, 2, 3):
            wanted.append((f"inspector-{n}", {"role": Role.INSPECTOR}))

        logins = []
        for username, membership in wanted:
            user, created = User.objects.get_or_create(username=username)
            if created:
                user.set_password(PASSWORD)
                user.is_staff = user.is_superuser = username == "commission"
                user.save()
                Membership.objects.create(user=user, **membership)
            unit = membership.get("district") or membership.get("street") or membership.get("department") or ""
            logins.append((username, f"{Role(membership['role']).label} {unit}".strip()))
        return logins

    def _activity(self, campaign: Campaign) -> str:
        if Enrolment.objects.filter(campaign=campaign).exists():
            return "campaign activity already present, left as it is"
        rng = random.Random(2020)
        communities = list(
            Community.objects.filter(kind=Community.Kind.RESIDENTS_COMMITTEE).select_related("street").order_by("code")
        )
        self._survey(rng, communities)
        by_street: dict[int, list[Community]] = defaultdict(list)
        for community in communities:
            by_street[community.street_id].append(community)

        # Pilots (试点先行, 2020-11 → 2021-05): most 街道 pick 1-2; a few lag, as real districts did.
        groups: dict[tuple[int, str, datetime.date], list[Community]] = defaultdict(list)
        chosen: set[int] = set()
        for street in Street.objects.order_by("code"):
            pool = by_street.get(street.id, [])
            if not pool or (street.kind == Street.Kind.SUBDISTRICT and rng.random() < 0.05):
                continue
            if street.kind != Street.Kind.SUBDISTRICT and rng.random() < 0.5:
                continue
            for community in rng.sample(pool, min(len(pool), rng.choice((1, 1, 2)))):
                joined = _day(rng, datetime.date(2020, 11, 10), datetime.date(2021, 5, 25))
                groups[(community.district_id, Enrolment.Kind.PILOT, joined)].append(community)
                chosen.add(community.pk)

        # Later batches: about 35% of each district by end 2021 and 65% by end 2022, with some districts slower.
        by_district: dict[int, list[Community]] = defaultdict(list)
        for community in communities:
            by_district[community.district_id].append(community)
        for district_id, pool in by_district.items():
            pace = rng.uniform(0.8, 1.15)
            rest = [c for c in pool if c.pk not in chosen]
            rng.shuffle(rest)
            first = int(len(pool) * 0.33 * pace) - (len(pool) - len(rest))
            second = int(len(pool) * 0.64 * pace) - (len(pool) - len(rest))
            for index, community in enumerate(rest[: max(second, 0)]):
                if index < first:
                    joined = _day(rng, datetime.date(2021, 6, 1), datetime.date(2021, 11, 30))
                else:
                    joined = _day(rng, datetime.date(2022, 1, 5), datetime.date(2022, 10, 31))
                groups[(district_id, Enrolment.Kind.BATCH, joined)].append(community)

        enrolled = []
        for (_district, kind, joined), members in sorted(groups.items(), key=lambda g: g[0][2]):
            enrolled += enrolment_enrol(campaign=campaign, communities=members, kind=kind, joined_on=joined, by=None)

        batch = [e for e in enrolled if e.kind == Enrolment.Kind.BATCH]
        for enrolment in rng.sample(batch, min(6, len(batch))):
            enrolment_withdraw(
                enrolment=enrolment,
                on=enrolment.joined_on + datetime.timedelta(days=rng.randint(40, 120)),
                reason=rng.choice(["居民意愿不足，暂缓创建", "纳入老旧小区改造计划后统一推进", "社区合并调整"]),
                by=None,
            )

        # One real-looking roster change: two small communities of 和平区 merged in mid-2022.
        hp = [c for c in communities if c.district.code == "120101"] if communities else []
        merged = ""
        if len(hp) > 2:
            source, target = hp[-1], hp[-2]
            if source.street_id == target.street_id:
                community_merge(
                    community=source,
                    into=target,
                    on=datetime.date(2022, 7, 1),
                    by=None,
                    note="社区规模调整（演示数据）",
                )
                merged = f", merged {source.name} into {target.name}"
        return f"enrolled {len(enrolled)} communities, withdrew {min(6, len(batch))}{merged}"

    def _survey(self, rng: random.Random, communities: list[Community]) -> None:
        for community in communities:
            if rng.random() < 0.08:  # a few surveys are still unfinished
                continue
            year = rng.choice([rng.randint(1955, 1999), rng.randint(1980, 2000), rng.randint(2000, 2020)])
            community.build_year = year
            community.build_era = f"{year // 10 * 10}年代"
            community.households = rng.randint(600, 6000)
            community.buildings = max(3, community.households // rng.randint(60, 160))
            community.is_old_estate = year < 2000
            community.renovation = (
                rng.choice(["planned", "in_progress", "done", "done"]) if year < 2000 else "not_planned"
            )
            community.property_management_share = rng.choice([20, 35, 50, 70, 85, 100])
        Community.objects.bulk_update(
            communities,
            [
                "build_year",
                "build_era",
                "households",
                "buildings",
                "is_old_estate",
                "renovation",
                "property_management_share",
            ],
            batch_size=500,
        )


def _day(rng: random.Random, start: datetime.date, end: datetime.date) -> datetime.date:
    return start + datetime.timedelta(days=rng.randint(0, (end - start).days))
