"""Standing management in reporting: the daily revocation job and its schedule, the district told of a
revocation, the dashboards' 长效管理 block in scope, and the annual compilation's section."""

from __future__ import annotations

import datetime
import re

import pytest
from django_celery_beat.models import PeriodicTask

from districts.models import Community, District
from outbox.models import PendingTask
from reporting.documents.build import document_html, document_spec
from reporting.figures.rollups import rollup_date
from reporting.models import Campaign, Notification, ProgressSnapshot
from reporting.tasks import revocation_notify, revocations_daily
from standards.acceptance import met_communities, round_create, team_create
from standards.models import Rectification, Revocation
from standards.recheck import Quota, revocations_due
from tests.standards.test_recheck import HEPING, HEXI, accept_world, inspect, open_recheck

pytestmark = pytest.mark.django_db
D = datetime.date


def test_the_daily_job_revokes_a_missed_deadline_once_and_tells_the_district(
    commission_admin, inspector, heping_staff, hexi_staff, django_capture_on_commit_callbacks
):
    accept_world(commission_admin, inspector)
    round_, team = open_recheck(
        commission_admin, inspector, quotas={District.objects.get(code=HEPING): Quota(number=1)}
    )
    community = round_.selections.get().community
    inspect(round_, team, community, D(2023, 3, 10), by_admin=commission_admin, inspector=inspector, fail=[5])
    assert Rectification.objects.get(community=community).due_on == D(2023, 4, 9)
    with django_capture_on_commit_callbacks() as callbacks:
        assert revocations_daily("2023-04-09") == 0
    assert callbacks == []
    assert revocations_daily("2023-04-10") == 1
    # The district's notification is written to the outbox with the revocation (sent here in process, below).
    revocation = Revocation.objects.get()
    (queued,) = PendingTask.objects.filter(task="reporting.tasks.revocation_notify")
    assert queued.args == [revocation.pk]
    assert revocations_daily("2023-04-11") == 0
    assert revocation.revoked_on == D(2023, 4, 10)
    assert revocation_notify(revocation.pk) == 1
    assert revocation_notify(revocation.pk) == 0
    (note,) = Notification.objects.filter(user=heping_staff)
    assert community.name in note.message and "2023年4月10日" in note.message and "摘牌" in note.message
    assert not Notification.objects.filter(user=hexi_staff).exists()
    task = PeriodicTask.objects.get(task="reporting.tasks.revocations_daily")
    assert task.enabled and task.crontab.hour == "1"


def standing_world(commission_admin, inspector):
    """2021: three communities accepted on 20 May (two of 和平区, one of 河西区); all three re-checked in September.
    和平区's first fails on 10 September and misses its 10 October deadline: revoked from 11 October."""
    round_ = round_create(
        name="2021年试点验收", year=2021, opens_on=D(2021, 5, 1), closes_on=D(2021, 6, 30), by=commission_admin
    )
    team = team_create(round=round_, name="第一组", members=[inspector], by=commission_admin, today=D(2021, 5, 1))
    heping = list(Community.objects.filter(district__code=HEPING).order_by("code")[:2])
    hexi = Community.objects.filter(district__code=HEXI).order_by("code").first()
    for community in [*heping, hexi]:
        inspect(round_, team, community, D(2021, 5, 20), by_admin=commission_admin, inspector=inspector)
    recheck, recheck_team = open_recheck(
        commission_admin, inspector, quotas={}, named=[*heping, hexi], opens_on=D(2021, 9, 1)
    )
    inspect(recheck, recheck_team, heping[0], D(2021, 9, 10), by_admin=commission_admin, inspector=inspector, fail=[5])
    inspect(recheck, recheck_team, heping[1], D(2021, 9, 11), by_admin=commission_admin, inspector=inspector)
    inspect(recheck, recheck_team, hexi, D(2021, 9, 12), by_admin=commission_admin, inspector=inspector)
    (revocation,) = revocations_due(today=D(2021, 10, 20))
    assert revocation.revoked_on == D(2021, 10, 11)
    return heping, hexi


def test_dashboards_show_rechecks_and_revocations_in_scope(
    commission_admin, inspector, reviewer, heping_staff, hexi_staff, client_for
):
    heping, _hexi = standing_world(commission_admin, inspector)
    campaign = Campaign.objects.current()
    rollup_date(campaign=campaign, on=D(2021, 10, 31))
    city = client_for(reviewer).get("/dashboard/?on=2021-10-31").content.decode()
    standing = _block(city)
    assert "2021年长效管理" in standing
    assert _figures(standing) == {"rechecked": 3, "passed": 2, "failed": 1, "rectifying": 0, "revoked": 1}
    # Before the deadline passed, the failure is still being rectified and nothing is revoked.
    rollup_date(campaign=campaign, on=D(2021, 9, 30))
    before = _block(client_for(reviewer).get("/dashboard/?on=2021-09-30").content.decode())
    assert _figures(before) == {"rechecked": 3, "passed": 2, "failed": 1, "rectifying": 1, "revoked": 0}
    own = _block(client_for(heping_staff).get(f"/dashboard/district/{HEPING}/?on=2021-10-31").content.decode())
    assert _figures(own) == {"rechecked": 2, "passed": 1, "failed": 1, "rectifying": 0, "revoked": 1}
    other = _block(client_for(hexi_staff).get(f"/dashboard/district/{HEXI}/?on=2021-10-31").content.decode())
    assert _figures(other) == {"rechecked": 1, "passed": 1, "failed": 0, "rectifying": 0, "revoked": 0}
    assert client_for(hexi_staff).get(f"/dashboard/district/{HEPING}/?on=2021-10-31").status_code == 404
    # The figures honour the revocation from its date: 和平区 meets with one fewer in October than in September.
    assert _met(campaign, D(2021, 10, 31)) == _met(campaign, D(2021, 9, 30)) - 1
    assert heping[0].name not in {c.name for c in met_communities(D(2021, 10, 31))}
    story = client_for(reviewer).get(f"/dashboard/community/{heping[0].code}/?on=2021-10-31").content.decode()
    assert "已被摘牌（自2021年10月11日起）" in story
    story = client_for(reviewer).get(f"/dashboard/community/{heping[0].code}/?on=2021-10-10").content.decode()
    assert "已被摘牌" not in story and "达到创建要求" in story


def test_a_title_revoked_last_year_shows_as_not_restored_on_this_years_dashboards(
    commission_admin, inspector, reviewer, heping_staff, hexi_staff, client_for
):
    standing_world(commission_admin, inspector)
    campaign = Campaign.objects.current()
    for day in (D(2021, 10, 31), D(2022, 6, 30)):
        rollup_date(campaign=campaign, on=day)
    city = _block(client_for(reviewer).get("/dashboard/?on=2021-10-31").content.decode())
    assert _not_restored(city) == 1 and "摘牌未恢复" in city
    # The next year nothing is revoked in the year, but the title taken in 2021 has not come back.
    city = _block(client_for(reviewer).get("/dashboard/?on=2022-06-30").content.decode())
    assert _figures(city)["revoked"] == 0 and _not_restored(city) == 1
    own = _block(client_for(heping_staff).get(f"/dashboard/district/{HEPING}/?on=2022-06-30").content.decode())
    assert _figures(own)["revoked"] == 0 and _not_restored(own) == 1
    other = _block(client_for(hexi_staff).get(f"/dashboard/district/{HEXI}/?on=2022-06-30").content.decode())
    assert _not_restored(other) == 0


def test_the_annual_compilation_gains_a_standing_management_section(commission_admin, inspector):
    heping, _hexi = standing_world(commission_admin, inspector)
    html = document_html(document_spec(kind="annual", period="2021"))
    section = html[html.index("长效管理") :]
    assert "复查已达标社区3个" in section and "未通过1个" in section and "摘牌1个" in section
    assert heping[0].name in section and "2021年10月11日" in section and "未在2021年10月10日前完成整改" in section
    # Each district's figures (re-checked, passed, failed, rectifying, revoked), every district listed, and the city.
    table = section[section.index('id="annual-standing-districts"') : section.index("</table>")]
    rows = re.findall(r'<tr data-code="(\d+)"><td class="name">([^<]+)</td>((?:<td class="num">\d+</td>)+)</tr>', table)
    cells = {code: [int(n) for n in re.findall(r">(\d+)<", numbers)] for code, _name, numbers in rows}
    assert [code for code, _name, _numbers in rows] == list(
        District.objects.order_by("code").values_list("code", flat=True)
    )
    assert cells[HEPING] == [2, 1, 1, 0, 1] and cells[HEXI] == [1, 1, 0, 0, 0]
    assert all(cells[code] == [0, 0, 0, 0, 0] for code in cells if code not in {HEPING, HEXI})
    assert "区" in rows[0][1]
    total = table[table.index('<tr class="total">') :]
    assert "全市" in total and [int(n) for n in re.findall(r'class="num">(\d+)<', total)] == [3, 2, 1, 0, 1]


def _block(html: str) -> str:
    start = html.index('id="standing"')
    return html[start : html.index("</section>", start)]


def _figures(block: str) -> dict[str, int]:
    return {
        name: int(re.search(rf'id="standing-{name}">(\d+)<', block).group(1))  # type: ignore[union-attr]
        for name in ("rechecked", "passed", "failed", "rectifying", "revoked")
    }


def _not_restored(block: str) -> int:
    return int(re.search(r'id="standing-revoked_standing">(\d+)<', block).group(1))  # type: ignore[union-attr]


def _met(campaign: Campaign, on: datetime.date) -> int:
    return ProgressSnapshot.objects.get(campaign=campaign, on=on, level="district", unit_code=HEPING).met
