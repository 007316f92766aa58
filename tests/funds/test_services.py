"""The funds services: every change recorded and audited, every refusal a Chinese message that writes nothing."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone, translation

from districts.models import AuditEntry
from reporting.funds.models import FundEntry
from reporting.funds.services import FundsError, fund_entry_create, fund_entry_delete, fund_entry_update

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def chinese():
    with translation.override("zh-hans"):
        yield


def _trail(entry_id) -> list[tuple[str, dict]]:
    return list(
        AuditEntry.objects.filter(content_type__model="fundentry", object_id=str(entry_id))
        .order_by("id")
        .values_list("action", "changes")
    )


def test_district_staff_record_a_line_and_the_trail_says_what(heping_staff, heping_communities, sources, add_line):
    community = heping_communities[0]
    entry = add_line(community, 2021, sources["old-estate"], "1200000", "800000.50", by=heping_staff, note="一期")
    entry.refresh_from_db()
    assert (entry.district.code, entry.year, entry.committed, entry.spent) == (
        "120101",
        2021,
        Decimal("1200000.00"),
        Decimal("800000.50"),
    )
    assert entry.recorded_by == heping_staff
    ((action, changes),) = _trail(entry.pk)
    assert action == "create"
    assert changes["committed"] == [None, "1200000.00"] and changes["source"] == [None, "城镇老旧小区改造"]
    assert AuditEntry.objects.get(object_id=str(entry.pk), content_type__model="fundentry").district.code == "120101"


@pytest.mark.parametrize(
    ("committed", "spent", "message"),
    [
        ("-1", "0", "落实金额不能为负数。"),
        ("0", "-0.01", "已支出金额不能为负数。"),
        ("0", "0", "请填写落实金额或已支出金额（或两者）；两项均为0的记录没有意义。"),
        ("10.005", "0", "落实金额最多保留两位小数（到分）。"),
        ("1000000000000", "0", "落实金额超出了合理范围。"),
    ],
)
def test_bad_amounts_are_refused_in_chinese(heping_staff, heping_communities, sources, committed, spent, message):
    with pytest.raises(FundsError) as refused:
        fund_entry_create(
            community=heping_communities[0],
            year=2021,
            source=sources["fiscal"],
            committed=Decimal(committed),
            spent=Decimal(spent),
            by=heping_staff,
        )
    assert str(refused.value) == message
    assert not FundEntry.objects.exists() and not AuditEntry.objects.filter(content_type__model="fundentry").exists()


@pytest.mark.parametrize("year", [1999, "2021"])
def test_a_year_outside_the_range_is_refused(heping_staff, heping_communities, sources, year):
    last = timezone.localdate().year + 1
    with pytest.raises(FundsError, match=f"年度须在2000年至{last}年之间。"):
        fund_entry_create(
            community=heping_communities[0], year=year, source=sources["fiscal"], committed=1, spent=0, by=heping_staff
        )


def test_a_year_after_next_year_is_refused(heping_staff, heping_communities, sources):
    with pytest.raises(FundsError):
        fund_entry_create(
            community=heping_communities[0],
            year=timezone.localdate().year + 2,
            source=sources["fiscal"],
            committed=Decimal("1"),
            spent=None,
            by=heping_staff,
        )
    assert not FundEntry.objects.exists()


def test_a_second_line_for_the_same_community_year_and_source_is_refused(
    heping_staff, heping_communities, sources, add_line
):
    community = heping_communities[0]
    add_line(community, 2021, sources["fiscal"], "100", "0", by=heping_staff)
    with pytest.raises(FundsError) as refused:
        add_line(community, 2021, sources["fiscal"], "200", "0", by=heping_staff)
    assert str(refused.value) == f"{community.name}已有2021年“财政专项”的记录，请修改该记录。"
    assert FundEntry.objects.get().committed == Decimal("100.00")
    assert AuditEntry.objects.filter(content_type__model="fundentry").count() == 1


def test_a_source_no_longer_in_use_takes_no_new_lines(heping_staff, heping_communities, sources, add_line):
    sources["bank-credit"].is_active = False
    sources["bank-credit"].save()
    with pytest.raises(FundsError, match="资金来源“银行信贷”已停用。"):
        add_line(heping_communities[0], 2021, sources["bank-credit"], "100", "0", by=heping_staff)


@pytest.mark.parametrize("who", ["hexi_staff", "reviewer", "department_staff", "heping_street_staff", "inspector"])
def test_only_the_districts_own_staff_record_its_funds(request, who, heping_communities, sources, add_line):
    with pytest.raises(FundsError, match="只有本区工作人员可以录入本区的资金。"):
        add_line(heping_communities[0], 2021, sources["fiscal"], "100", "0", by=request.getfixturevalue(who))
    assert not FundEntry.objects.exists()


def test_the_commission_administrator_may_correct_a_districts_funds(commission_admin, heping_communities, sources):
    entry = fund_entry_create(
        community=heping_communities[0],
        year=2022,
        source=sources["fiscal"],
        committed=5,
        spent=None,
        by=commission_admin,
    )
    assert entry.committed == Decimal("5.00") and entry.spent == Decimal("0.00")


def test_an_update_changes_the_amounts_and_audits_only_what_changed(
    heping_staff, heping_communities, sources, add_line
):
    entry = add_line(heping_communities[0], 2021, sources["sponge-city"], "500000", "100000", by=heping_staff)
    fund_entry_update(entry=entry, committed=Decimal("500000"), spent=Decimal("450000"), note="", by=heping_staff)
    entry.refresh_from_db()
    assert entry.spent == Decimal("450000.00")
    assert _trail(entry.pk)[-1] == ("update", {"spent": ["100000.00", "450000.00"]})


def test_an_update_that_changes_nothing_writes_no_audit_entry(heping_staff, heping_communities, sources, add_line):
    entry = add_line(heping_communities[0], 2021, sources["sponge-city"], "500000", "100000", by=heping_staff)
    fund_entry_update(entry=entry, committed=Decimal("500000"), spent=Decimal("100000.00"), by=heping_staff)
    assert len(_trail(entry.pk)) == 1


def test_an_update_to_zeros_is_refused_and_keeps_the_line(heping_staff, heping_communities, sources, add_line):
    entry = add_line(heping_communities[0], 2021, sources["sponge-city"], "500000", "100000", by=heping_staff)
    with pytest.raises(FundsError):
        fund_entry_update(entry=entry, committed=Decimal("0"), spent=None, by=heping_staff)
    entry.refresh_from_db()
    assert entry.committed == Decimal("500000.00") and len(_trail(entry.pk)) == 1


def test_another_district_cannot_update_or_delete_a_line(
    hexi_staff, heping_staff, heping_communities, sources, add_line
):
    entry = add_line(heping_communities[0], 2021, sources["fiscal"], "100", "0", by=heping_staff)
    with pytest.raises(FundsError):
        fund_entry_update(entry=entry, committed=Decimal("1"), spent=None, by=hexi_staff)
    with pytest.raises(FundsError):
        fund_entry_delete(entry=entry, by=hexi_staff)
    entry.refresh_from_db()
    assert entry.committed == Decimal("100.00")


def test_a_deleted_line_leaves_what_it_said_in_the_trail(heping_staff, heping_communities, sources, add_line):
    entry = add_line(heping_communities[0], 2021, sources["fiscal"], "100", "20", by=heping_staff)
    pk = entry.pk
    fund_entry_delete(entry=entry, by=heping_staff)
    assert not FundEntry.objects.filter(pk=pk).exists()
    action, changes = _trail(pk)[-1]
    assert action == "delete" and changes["committed"] == ["100.00", None] and changes["spent"] == ["20.00", None]
    with pytest.raises(FundsError, match="该记录已被删除。"):
        fund_entry_delete(entry=entry, by=heping_staff)
