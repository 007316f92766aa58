"""The community table of a large monthly report in a real browser: its pages (htmx, and the address follows), and
the bulk change, which asks with the number of communities it will change.

seed_demo leaves 南开区's 2022-12 monthly report in draft with its 156 communities: four pages of 50. No other e2e
test uses 南开区.
"""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import PHONE, has_horizontal_overflow, login

pytestmark = pytest.mark.e2e


def _ids(page) -> list[str]:
    return page.locator("#rows-table tbody tr").evaluate_all("rows => rows.map(r => r.id)")


def _open_nankai_december(page) -> str:
    login(page, "district-120104")
    page.goto("/reports/")
    row = page.locator("table.reports tr", has=page.locator("td:text-is('2022年12月')"))
    with page.expect_navigation():
        row.get_by_role("link", name="填报").click()
    assert re.search(r"/reports/\d+/$", page.url)
    return page.url


def test_the_table_turns_its_pages_and_a_bulk_change_asks_with_the_count(page):
    report_url = _open_nankai_december(page)
    pager = page.locator(".rows-pager span").first
    assert pager.inner_text() == "第1页，共4页"
    first = _ids(page)
    assert len(first) == 50

    # The pager swaps the table alone; the address shows the page, so a reload stays there.
    page.locator(".rows-pager a[rel=next]").first.click()
    page.locator(".rows-pager span", has_text="第2页，共4页").first.wait_for()
    assert page.url == report_url + "?page=2"
    second = _ids(page)
    assert len(second) == 50 and not set(first) & set(second)
    page.reload()
    assert _ids(page) == second

    # Two ticks, item 7 under way: the question counts them; declining sends nothing.
    asked: list[str] = []
    answer = {"accept": False}

    def respond(dialog) -> None:
        asked.append(dialog.message)
        if answer["accept"]:
            dialog.accept()
        else:
            dialog.dismiss()

    page.on("dialog", respond)
    # Two communities still creating (or not started; one that meets the standard could not have an item open) whose
    # item 7 is not under way yet, so both change.
    chosen = page.locator("#rows-table tbody tr.stage-creating, #rows-table tbody tr.stage-not_started").evaluate_all(
        "rows => rows.filter(r => r.querySelector(\"i[title='7']\").className !== 's-in_progress')"
        ".slice(0, 2).map(r => r.id)"
    )
    assert len(chosen) == 2
    for row_id in chosen:
        page.locator(f"#{row_id} input[name=row]").check()
    page.select_option("#bulk select[name=item]", "7")
    page.select_option("#bulk select[name=item_status]", "in_progress")
    page.locator("#bulk button[type=submit]").click()
    page.wait_for_timeout(300)
    assert asked == ["确定对勾选的2个社区执行此修改吗？"]
    assert page.url == report_url + "?page=2" and not page.locator(".messages").count()
    answer["accept"] = True
    with page.expect_navigation():
        page.locator("#bulk button[type=submit]").click()
    assert "已修改2个社区。" in page.inner_text(".messages")
    assert page.locator(".rows-pager span").first.inner_text() == "第2页，共4页"  # back where the officer was
    for row_id in chosen:
        assert page.locator(f"#{row_id} .cells i[title='7']").get_attribute("class") == "s-in_progress"
    assert not page.locator("#rows-table input[name=row]:checked").count()

    # Turning the page clears the ticks, so none stays hidden on a page out of sight.
    page.locator("#rows-table input[name=row]").first.check()
    page.locator(".rows-pager a[rel=next]").first.click()
    page.locator(".rows-pager span", has_text="第3页，共4页").first.wait_for()
    assert not page.evaluate("[...document.querySelectorAll('input[form=bulk][name=row]')].some(b => b.checked)")

    # Every community the filters match, on every page: the question says how many and that it is all pages.
    matching = page.locator("input[name=matching]")
    count = matching.get_attribute("value")
    matching.check()
    page.select_option("#bulk select[name=item]", "16")
    page.select_option("#bulk select[name=item_status]", "not_applicable")
    with page.expect_navigation():
        page.locator("#bulk button[type=submit]").click()
    assert asked[-1] == f"确定对符合筛选条件的全部{count}个社区（所有页）执行此修改吗？"
    assert re.fullmatch(r"已修改\d+个社区。", page.inner_text(".messages").strip())
    for number in (1, 4):
        page.goto(f"{report_url}?page={number}")
        states = page.locator("#rows-table tbody tr:not(.stage-withdrawn) .cells i[title='16']").evaluate_all(
            "marks => marks.map(m => m.className)"
        )
        assert states and set(states) == {"s-not_applicable"}, (number, states)

    page.set_viewport_size(PHONE)
    assert not has_horizontal_overflow(page)
