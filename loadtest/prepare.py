"""Prepare the deadline-day load test's database and write the plan the scenario follows.

Drops and recreates the database LOADTEST_DATABASE_URL names (default greencommunity_load), then does what
`make run` does (migrate, load_divisions, seed_demo, rollup) and adds, through the services:

- 5 report officers per district (district staff, like the seeded district-<code> users), 10 commission users and
  20 inspectors, all with the demo password;
- the due month's monthly report of every district open for editing: started where it is missing, returned by the
  reviewer where it was already submitted, unlocked where it was accepted (the demo leaves the campaign's last month
  in every state), so each of the 16 districts has a report to finish and submit;
- an acceptance round with one team per inspector and three communities each.

Runs in the development mode without a broker (seed_demo refuses production; tasks run in process), like `make run`.
Usage: python loadtest/prepare.py OUT_DIR  (writes OUT_DIR/plan.json)
"""

from __future__ import annotations

import datetime
import hashlib
import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/greencommunity_load"
PASSWORD = "demo12345"  # noqa: S105 — the documented demo password of the throwaway load-test database
OFFICERS_PER_DISTRICT = 5
COMMISSION_USERS = 10
INSPECTORS = 20
ASSIGNMENTS_PER_INSPECTOR = 3


def database_url() -> str:
    return os.environ.get("LOADTEST_DATABASE_URL", DEFAULT_URL)


def seed_fingerprint() -> str:
    """A digest of what shapes the seeded data: migrations, models, services, management commands and data files
    (not views, templates or settings, which change often and leave the seeded rows as they are)."""
    digest = hashlib.sha256()
    patterns = ("*/migrations/*.py", "*/models.py", "*/*services.py", "*/acceptance.py", "*/management/commands/*.py")
    paths = {path for pattern in patterns for path in ROOT.glob(pattern)}
    paths |= {path for path in ROOT.glob("*/data/*") if path.is_file()}
    for path in sorted(paths):
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def recreate_database(url: str) -> bool:
    """Drop and recreate the database; True when it was copied from a seeded template made by an earlier run.

    seed_demo takes minutes, so the first run keeps a copy of the seeded database (before any deadline-day data)
    as a template named after a digest of the code and data it came from; a run with the same digest copies it.
    """
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if not name.endswith("_load"):
        # The one database this script may drop; never the development or test databases, nor anyone else's.
        raise SystemExit(f"refusing to drop {name!r}: the load-test database's name must end in _load")
    template = f"{name}_seed_{seed_fingerprint()}"
    maintenance = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cached = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [template]).fetchone() is not None
        if cached:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        else:
            conn.execute(f'CREATE DATABASE "{name}"')
    return cached


def keep_seeded_template(url: str) -> None:
    import psycopg
    from django.db import connections

    connections.close_all()
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    template = f"{name}_seed_{seed_fingerprint()}"
    maintenance = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as conn:
        stale = conn.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", [f"{name}\\_seed\\_%"]).fetchall()
        for (old,) in stale:
            conn.execute(f'DROP DATABASE IF EXISTS "{old}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{template}" TEMPLATE "{name}"')


def _step(label: str, started: float) -> float:
    now = time.monotonic()
    print(f"  {label}: {now - started:.1f} s", flush=True)
    return now


def main(out_dir: Path) -> None:
    url = database_url()
    cached = recreate_database(url)
    os.environ["DATABASE_URL"] = url
    os.environ.pop("REDIS_URL", None)
    os.environ.pop("DJANGO_ENV", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "greencommunity.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    started = time.monotonic()
    if cached:
        started = _step("copied the seeded database made by an earlier run (same code and data)", started)
    else:
        call_command("migrate", verbosity=0)
        started = _step("migrate", started)
        call_command("load_divisions", str(ROOT / "districts" / "data" / "tianjin-divisions.csv"), verbosity=0)
        started = _step("load_divisions", started)
        call_command("seed_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115 — the demo logins are not needed
        started = _step("seed_demo", started)
        keep_seeded_template(url)
        started = _step("kept a copy as the template for the next run", started)
    call_command("rollup", verbosity=0)
    started = _step("rollup", started)
    plan = _deadline_day()
    started = _step("officers, commission, inspectors, reports, acceptance round", started)
    # A production database has its planner statistics kept by autovacuum; a freshly loaded one has none (and
    # autovacuum may be off on a test machine), which makes the planner loop over whole tables. Gather them now.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    _step("vacuum analyze", started)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "plan.json").write_text(json.dumps(plan, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(
        f"  plan: {sum(len(d['officers']) for d in plan['districts'])} officers in {len(plan['districts'])} districts, "
        f"{len(plan['commission'])} commission users, {len(plan['inspectors'])} inspectors, period {plan['period']}"
    )


def _deadline_day() -> dict:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone

    from districts.models import District, Membership, Role
    from reporting.figures.selectors import campaign_months
    from reporting.models import Campaign, Report
    from reporting.reports.services import report_open, report_return, report_unlock
    from standards import acceptance
    from standards.models import SelfAssessment

    # Without a broker the workflow's notifications run in process; a log line for each would bury the summary.
    logging.getLogger("celery.app.trace").setLevel(logging.WARNING)
    User = get_user_model()
    campaign = Campaign.objects.current()
    assert campaign is not None, "the load test runs on the demo data (seed_demo)"
    # The last month that has ended (the campaign's last, if it is over): its report is the one filed on deadline day.
    period = campaign_months(campaign, until=timezone.localdate().replace(day=1) - datetime.timedelta(days=1))[-1]
    reviewer = User.objects.get(username="reviewer")
    hashed = make_password(PASSWORD)  # hashing is slow on purpose; every load user shares the password

    def user(username: str, first_name: str, **membership: Any) -> Any:
        account = User.objects.create(username=username, password=hashed, first_name=first_name)
        Membership.objects.create(user=account, **membership)
        return account

    plan: dict = {
        "period": period.isoformat(),
        "password": PASSWORD,
        "districts": [],
        "commission": [],
        "inspectors": [],
    }
    # One transaction: the workflow steps below ask for a progress rollup, which then runs once, at the commit.
    with transaction.atomic():
        for district in District.objects.order_by("code"):
            officers = [
                user(
                    f"officer-{district.code}-{n}",
                    f"{district.name}填报员{n}",
                    role=Role.DISTRICT_STAFF,
                    district=district,
                )
                for n in range(1, OFFICERS_PER_DISTRICT + 1)
            ]
            report = Report.objects.filter(
                campaign=campaign, kind=Report.Kind.MONTHLY, district=district, period=period
            ).first()
            was = report.status if report else "missing"
            if report is None:
                report = report_open(
                    campaign=campaign, kind=Report.Kind.MONTHLY, period=period, district=district, by=officers[0]
                )
            elif report.status in (Report.Status.SUBMITTED, Report.Status.RESUBMITTED):
                report = report_return(
                    report=report, comment="请补充本月新增达标社区的佐证材料，截止日前重新提交", by=reviewer
                )
            elif report.status == Report.Status.ACCEPTED:
                report = report_unlock(report=report, reason="数据核对：请按最新摸底结果更正后重新提交", by=reviewer)
            rows = SelfAssessment.objects.filter(district=district, period=period).count()
            plan["districts"].append(
                {
                    "code": district.code,
                    "name": district.name,
                    "report": report.pk,
                    "status_before": was,
                    "status": report.status,
                    "rows": rows,
                    "officers": [o.username for o in officers],
                }
            )
        for n in range(1, COMMISSION_USERS + 1):
            role = Role.COMMISSION_ADMIN if n <= 2 else Role.COMMISSION_REVIEWER
            plan["commission"].append(user(f"commission-load-{n}", f"市住房城乡建设委{n}", role=role).username)

        inspectors = [user(f"inspector-load-{n}", f"验收员{n}", role=Role.INSPECTOR) for n in range(1, INSPECTORS + 1)]
        today = timezone.localdate()
        round_ = acceptance.round_create(
            name=f"{period.year}年度绿色社区验收（补充批次）",
            year=period.year,
            opens_on=today,
            closes_on=today + datetime.timedelta(days=30),
            notice_days=7,
            by=reviewer,
        )
        # Communities that self-assess as meeting the standard in the due month, spread over the districts.
        candidates = list(
            SelfAssessment.objects.filter(period=period, stage=SelfAssessment.Stage.MEETS)
            .order_by("community__code")
            .values_list("community_id", flat=True)
        )
        wanted = INSPECTORS * ASSIGNMENTS_PER_INSPECTOR
        step = max(1, len(candidates) // wanted)
        chosen = candidates[::step][:wanted]
        if len(chosen) < wanted:
            raise SystemExit(f"only {len(chosen)} communities meet the standard in {period}; {wanted} are needed")
        from districts.models import Community

        communities = {c.pk: c for c in Community.objects.filter(pk__in=chosen)}
        for index, inspector in enumerate(inspectors):
            team = acceptance.team_create(round=round_, name=f"补充检查组{index + 1}", members=[inspector], by=reviewer)
            mine = chosen[index * ASSIGNMENTS_PER_INSPECTOR : (index + 1) * ASSIGNMENTS_PER_INSPECTOR]
            assignments = acceptance.assignments_create(
                round=round_, communities=[communities[pk] for pk in mine], team=team, by=reviewer
            )
            plan["inspectors"].append({"username": inspector.username, "assignments": [a.pk for a in assignments]})
    return plan


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: python loadtest/prepare.py OUT_DIR")
    main(Path(sys.argv[1]))
