import io
import re
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from districts.loading import DivisionFileError, divisions_load
from districts.models import AuditEntry, Community, District, Street

pytestmark = pytest.mark.django_db


def test_the_bundled_tianjin_roster_has_the_real_counts():
    assert District.objects.count() == 16
    assert Street.objects.count() == 299
    assert Street.objects.filter(kind="街道").count() == 124
    assert Community.objects.count() == 2036
    assert Community.objects.filter(kind="居委会").count() == 1934
    assert Community.objects.get(code="120101001001").district.name == "和平区"


def test_loading_twice_changes_nothing(tmp_path: Path):
    before = list(Community.objects.order_by("code").values_list("code", "name", "street_id", "district_id"))
    call_command("load_divisions", "districts/data/tianjin-divisions.csv", stdout=io.StringIO())
    after = list(Community.objects.order_by("code").values_list("code", "name", "street_id", "district_id"))
    assert before == after
    assert Community.objects.count() == 2036


def test_a_load_keeps_survey_data_and_renames_by_code():
    community = Community.objects.get(code="120101001001")
    community.households = 1234
    community.save()
    divisions_load(
        [
            {
                "level": "community",
                "code": "120101001001",
                "name": "新名字社区居委会",
                "parent_code": "120101001",
                "kind": "居委会",
            }
        ]
    )
    community.refresh_from_db()
    assert community.name == "新名字社区居委会"
    assert community.households == 1234


def test_a_file_with_one_bad_row_loads_nothing_and_names_the_line():
    rows = [
        {"level": "district", "code": "990101", "name": "测试区", "parent_code": "99", "kind": "区"},
        {"level": "street", "code": "990101001", "name": "测试街道", "parent_code": "990101", "kind": "街道"},
        {"level": "community", "code": "990101001001", "name": "甲社区", "parent_code": "990101001", "kind": "居委会"},
        {"level": "community", "code": "990101001002", "name": "乙社区", "parent_code": "990101999", "kind": "居委会"},
    ]
    with pytest.raises(DivisionFileError) as raised:
        divisions_load(rows)
    assert any("line 5" in p and "990101999" in p for p in raised.value.problems)
    assert not District.objects.filter(code="990101").exists()
    assert not Community.objects.filter(code="990101001001").exists()


def test_the_command_reports_bad_files_without_a_traceback(tmp_path: Path):
    bad = tmp_path / "bad.csv"
    bad.write_text("level,code,name,parent_code,kind\ndistrict,12AB,坏区,12,区\n", encoding="utf-8")
    with pytest.raises(CommandError, match="nothing was loaded"):
        call_command("load_divisions", str(bad))
    with pytest.raises(CommandError, match="no such file"):
        call_command("load_divisions", str(tmp_path / "missing.csv"))


def test_a_load_is_recorded_in_the_audit_trail():
    divisions_load([{"level": "district", "code": "120101", "name": "和平区", "parent_code": "12", "kind": "区"}])
    entry = AuditEntry.objects.filter(action="import", source="command").first()
    assert entry is not None and entry.source == "command"
    assert re.search(r"(?<!\d)1(?!\d)", entry.note) and "16" not in entry.note
