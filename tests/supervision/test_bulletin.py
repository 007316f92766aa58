"""The monthly city bulletin's section "督导情况": per district, the supervision held and the required actions set
and closed in the month, and those overdue at its end — from the dates, so an earlier month shows its own numbers."""

from __future__ import annotations

import datetime
import re

import pytest

from reporting.documents.build import document_html, document_spec
from reporting.supervision import services

from .conftest import district

pytestmark = pytest.mark.django_db
D = datetime.date
ROW = re.compile(
    r'<tr(?: class="total")?><td class="name">(.*?)</td><td class="num">(\d+)</td><td class="num">(\d+)</td>'
    r'<td class="num">(\d+)</td><td class="num">(\d+)</td></tr>'
)


def _section(month: str) -> str:
    html = document_html(document_spec(kind="city-bulletin", period=month), generated_on=D(2026, 1, 5))
    start = html.index('id="supervision"')
    return html[start:]


def _rows(section: str) -> dict[str, tuple[int, ...]]:
    return {name: tuple(int(n) for n in numbers) for name, *numbers in ROW.findall(section)}


@pytest.fixture
def history(directive, heping_action, department_staff, reviewer, heping_staff):
    """June 2021: the directive to 和平区 and 河西区 (held 18 June), an action for each set on 21 June. July: 和平区
    answers on 20 July and its action is closed on 26 July; 河西区's (due 15 July) is never answered; the commission
    surveys 南开区 on 8 July."""
    hexi = services.required_action_set(
        supervision=directive,
        district=district("120103"),
        text="规范垃圾分类桶站设置",
        due_on=D(2021, 7, 15),
        by=department_staff,
        on=D(2021, 6, 21),
    )
    services.required_action_answer(required=heping_action, text="已施划标线", by=heping_staff, on=D(2021, 7, 20))
    services.required_action_close(required=heping_action, by=department_staff, on=D(2021, 7, 26))
    services.supervision_open(
        kind="survey",
        title="绿化专题调研",
        held_on=D(2021, 7, 8),
        districts=[district("120104")],
        by=reviewer,
        today=D(2021, 7, 8),
    )
    return hexi


def test_the_bulletin_lists_each_months_supervision_per_district(history):
    june = _section("2021-06")
    assert "督导情况" in june
    assert _rows(june) == {"和平区": (1, 1, 0, 0), "河西区": (1, 1, 0, 0), "合计": (2, 2, 0, 0)}
    assert "2021年6月30日没有逾期的督办事项" in june
    july = _section("2021-07")
    assert _rows(july) == {"和平区": (0, 0, 1, 0), "河西区": (0, 0, 0, 1), "南开区": (1, 0, 0, 0), "合计": (1, 0, 1, 1)}
    assert "2021年7月，市住房城乡建设委和市级部门到各区开展督导1次，提出督办事项0项，办结1项" in july
    assert "截至2021年7月31日，有1项督办事项逾期未办结" in july
    assert "河西区：规范垃圾分类桶站设置（市住房城乡建设委提出，办理期限2021年7月15日）" in july


def test_an_overdue_action_stays_in_later_bulletins_until_the_month_it_is_closed(history, hexi_staff, department_staff):
    services.required_action_answer(required=history, text="已规范桶站", by=hexi_staff, on=D(2021, 9, 2))
    services.required_action_close(required=history, by=department_staff, on=D(2021, 9, 6))
    assert _rows(_section("2021-08")) == {"河西区": (0, 0, 0, 1), "合计": (0, 0, 0, 1)}
    september = _section("2021-09")
    assert _rows(september) == {"河西区": (0, 0, 1, 0), "合计": (0, 0, 1, 0)}
    assert "2021年9月30日没有逾期的督办事项" in september
    # The July bulletin made again afterwards still shows July's numbers.
    assert _rows(_section("2021-07"))["河西区"] == (0, 0, 0, 1)


def test_a_month_without_supervision_says_so():
    section = _section("2021-05")
    assert "督导情况" in section and "2021年5月未开展督导" in section and "<table" not in section
