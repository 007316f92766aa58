"""Standing management end to end: the commission opens a re-check round (the draw's seed and list on its page),
an inspector fails the drawn community on the phone, the rectification deadline passes, the daily job revokes the
title, and the dashboards and the community's record show it.

Time cannot pass over HTTP: the test moves the rectification's deadline to yesterday on the server's database and
runs the daily job there, as beat would at 01:00.
"""

from __future__ import annotations

import datetime
import os
import re
import time
from zoneinfo import ZoneInfo

import pytest

from tests.e2e.conftest import DESKTOP, PHONE, _save_admin_form, login, logout, portal_manage, shoot
from tests.e2e.test_inspection_e2e import _inspect

pytestmark = pytest.mark.e2e


def test_recheck_round_failure_missed_deadline_revokes_and_the_dashboard_shows_it(page, live_portal):
    from playwright.sync_api import expect

    page.on("dialog", lambda dialog: dialog.accept())
    today = datetime.datetime.now(ZoneInfo("Asia/Shanghai")).date()
    round_name = f"复查演练{os.getpid()}-{int(time.time())}"

    # The commission opens the round: one community of 和平区 drawn at random.
    page.set_viewport_size(DESKTOP)
    login(page, "commission")
    page.goto("/acceptance/rounds/")
    with page.expect_navigation():
        page.click("#open-recheck-link")
    page.fill("#id_name", round_name)
    page.fill("#id_year", str(today.year))
    page.fill("#id_opens_on", today.isoformat())
    page.fill("#id_closes_on", (today + datetime.timedelta(days=60)).isoformat())
    page.fill("#id_rectification_days", "30")
    page.fill("#id_number_120101", "1")
    with page.expect_navigation():
        page.get_by_role("button", name="开启复查并抽取").click()
    seed = page.locator("#draw-seed").inner_text().strip()
    assert re.fullmatch(r"[0-9a-f]{16}", seed), seed
    expect(page.locator("#draw-check")).to_contain_text("结果相同")
    rows = page.locator("#recheck-list tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("随机抽取")
    code = rows.first.locator("td").nth(2).inner_text().strip()
    name = rows.first.locator("td").nth(1).inner_text().strip()
    assert re.fullmatch(r"120101\d{6}", code), code
    shoot(page, "recheck-e2e-round")

    # A team with inspector-1 (through the admin, as acceptance tests do), then the assignment on the round's page.
    page.goto("/admin/standards/inspectionteam/add/")
    page.select_option("#id_round", label=round_name)
    page.fill("#id_name", "复查组")
    page.select_option("#id_members", label="inspector-1")
    _save_admin_form(page)
    page.goto("/acceptance/rounds/")
    with page.expect_navigation():
        page.get_by_role("link", name=round_name).click()
    page.select_option("select[name=team]", label="复查组")
    page.select_option("select[name=district]", "120101")
    with page.expect_navigation():
        page.get_by_role("button", name="查看涵盖的社区").click()
    preview = page.locator("#assign-preview")
    expect(preview).to_contain_text(name)
    with page.expect_navigation():
        preview.locator("button[type=submit]").click()
    logout(page)

    # The inspector fails it on the phone.
    page.set_viewport_size(PHONE)
    login(page, "inspector-1")
    _inspect(page, round_name, code, fail=True)
    expect(page.locator("#verdict")).to_contain_text("已签署：未达到")
    logout(page)

    # A failed re-check alone does not revoke: the record still says it meets.
    page.set_viewport_size(DESKTOP)
    login(page, "commission")
    page.goto(f"/acceptance/communities/{code}/")
    expect(page.locator("#state")).to_contain_text("达到创建要求")

    # The deadline passes; the daily job revokes the title from the day after it: today.
    portal_manage(
        live_portal,
        "shell",
        "-c",
        "import datetime; from django.utils import timezone; from standards.models import Rectification; "
        "from reporting.tasks import revocations_daily; "
        f"Rectification.objects.filter(community__code='{code}', inspection__round__name='{round_name}')"
        ".update(due_on=timezone.localdate() - datetime.timedelta(days=1)); "
        "assert revocations_daily() == 1",
    )
    page.goto(f"/acceptance/communities/{code}/")
    expect(page.locator("#state")).to_contain_text("已被摘牌")
    expect(page.locator("#revocations")).to_contain_text("未按期完成整改")
    expect(page.locator("#revocations")).to_contain_text(round_name)

    page.goto("/dashboard/")
    standing = page.locator("#standing")
    expect(standing).to_contain_text(f"{today.year}年长效管理")
    assert int(page.locator("#standing-revoked").inner_text()) >= 1
    assert int(page.locator("#standing-failed").inner_text()) >= 1
    shoot(page, "recheck-e2e-dashboard")
    logout(page)

    login(page, "district-120101")
    page.goto("/dashboard/district/120101/")
    assert int(page.locator("#standing-revoked").inner_text()) >= 1
    logout(page)
    login(page, "district-120103")
    page.goto("/dashboard/district/120103/")
    expect(page.locator("#standing-revoked")).to_have_text("0")
