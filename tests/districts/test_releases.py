"""Roster releases (issue 15): close, rename, move and kind change with their effect on names and figures before
and after the effective date, idempotence (no row rewritten: PostgreSQL row versions unchanged), the dry run, the
batch writer that SQLite uses, and the commission's page."""

from __future__ import annotations

import csv
import datetime
import io
import re

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import IntegrityError, connection
from django.urls import reverse

from districts.models import AuditEntry, Community, DivisionChange, RosterChange, RosterRelease, Street
from districts.releases import applying
from districts.releases.history import names_as_of, values_as_of
from districts.releases.services import release_load, release_preview
from reporting.figures.rollups import rollup_days
from reporting.figures.selectors import correlated_count, roster_communities
from reporting.models import Campaign, ProgressSnapshot
from reporting.roster.releases import release_apply_job
from reporting.services import enrolment_enrol

from ..conftest import TIANJIN_CSV

pytestmark = pytest.mark.django_db

D = datetime.date
EFFECTIVE = D(2021, 6, 1)
STREET = "120101001"  # 劝业场街道
RENAMED, CLOSED, MOVED, REKINDED = "120101001001", "120101001002", "120101001005", "120101001006"
NEW_STREET_NAME, NEW_NAME = "劝业场新街道", "花园新社区居委会"


def heping_rows() -> list[list[str]]:
    with TIANJIN_CSV.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    return [rows[0]] + [row for row in rows[1:] if row[1].startswith("120101")]


def release_rows(*, close=True, rename=True, move=True, rekind=True) -> list[list[str]]:
    out = []
    for row in heping_rows():
        row = list(row)
        if close and row[1] == CLOSED:
            continue
        if rename and row[1] == RENAMED:
            row[2] = NEW_NAME
        if rename and row[1] == STREET:
            row[2] = NEW_STREET_NAME
        if move and row[1] == MOVED:
            row[3] = "120101002"
        if rekind and row[1] == REKINDED:
            row[4] = "类似居委会"
        out.append(row)
    return out


def as_csv(rows, encoding="utf-8") -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode(encoding)


def as_xlsx(rows) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def roster_state() -> list[tuple]:
    return list(
        Community.objects.filter(district__code="120101")
        .order_by("code")
        .values_list("code", "name", "street_id", "kind", "closed_on")
    ) + list(Street.objects.filter(district__code="120101").order_by("code").values_list("code", "name", "closed_on"))


def test_the_diff_finds_each_class_and_every_encoding_reads_the_same():
    rows = release_rows()
    previews = [
        release_preview(content=content, filename=name, effective_on=EFFECTIVE)
        for name, content in [
            ("r.csv", as_csv(rows)),
            ("r.csv", b"\xef\xbb\xbf" + as_csv(rows)),
            ("r.csv", as_csv(rows, "gbk")),
            ("r.csv", as_csv(rows, "gb18030")),
            ("r.xlsx", as_xlsx(rows)),
        ]
    ]
    counts = previews[0].counts
    assert counts["closed"] == 1 and counts["renamed"] == 2 and counts["moved"] == 1 and counts["kind_changed"] == 1
    assert counts["added"] == 0 and counts["unchanged"] == len(rows) - 1 - 4
    assert all(p.counts == counts for p in previews)
    assert previews[0].scope == ["120101"]
    assert [r.code for r in previews[0].samples["closed"]] == [CLOSED]


def test_the_dry_run_prints_counts_and_rows_and_writes_nothing(tmp_path):
    path = tmp_path / "heping-2021.csv"
    path.write_bytes(as_csv(release_rows(), "gbk"))
    before = (roster_state(), AuditEntry.objects.count(), RosterRelease.objects.count(), DivisionChange.objects.count())
    out = io.StringIO()
    call_command("load_divisions", str(path), "--effective", "2021-06-01", "--scope", "120101", "--dry-run", stdout=out)
    text = out.getvalue()
    assert "closed 1, renamed 2, moved 1, kind_changed 1" in text
    assert f"community {CLOSED} 滨西社区居委会" in text
    assert f"community {RENAMED} {NEW_NAME} 花园路社区居委会 → {NEW_NAME}" in text
    assert f"community {MOVED} 林泉社区居委会 120101001 → 120101002" in text
    assert "dry run: nothing written" in text
    after = (roster_state(), AuditEntry.objects.count(), RosterRelease.objects.count(), DivisionChange.objects.count())
    assert after == before


def test_a_release_closes_renames_moves_and_rekinds_from_its_date_with_history(commission_admin):
    release_load(content=as_csv(release_rows()), filename="r.csv", effective_on=EFFECTIVE, by=commission_admin)

    closed = Community.objects.get(code=CLOSED)
    assert closed.closed_on == EFFECTIVE
    assert closed.is_on_roster(D(2021, 5, 31)) and not closed.is_on_roster(EFFECTIVE)
    assert RosterChange.objects.filter(community=closed, kind="closed", effective_on=EFFECTIVE).count() == 1
    assert Community.objects.get(code=MOVED).street.code == "120101002"
    assert Community.objects.get(code=REKINDED).kind == "类似居委会"
    assert Street.objects.get(code=STREET).name == NEW_STREET_NAME

    # The names, parents and kinds of the day before are in the history.
    before, after = D(2021, 5, 31), EFFECTIVE
    assert values_as_of(level="community", field="name", codes=[RENAMED], on=before) == {RENAMED: "花园路社区居委会"}
    assert values_as_of(level="community", field="name", codes=[RENAMED], on=after) == {}
    assert values_as_of(level="community", field="parent", codes=[MOVED], on=before) == {MOVED: "120101001"}
    assert values_as_of(level="community", field="kind", codes=[REKINDED], on=before) == {REKINDED: "居委会"}
    street = Street.objects.get(code=STREET)
    names_as_of([street], level="street", on=before)
    assert street.name == "劝业场街道"

    entry = AuditEntry.objects.filter(action="import", object_id=str(RosterRelease.objects.get().pk)).get()
    assert entry.changes["counts"][1]["closed"] == 1
    assert len(entry.changes["sha256"][1]) == 64


def test_the_roster_page_shows_the_names_of_the_date_asked(client_for, commission_admin):
    release_load(content=as_csv(release_rows()), filename="r.csv", effective_on=EFFECTIVE, by=commission_admin)
    client = client_for(commission_admin)
    earlier = client.get(reverse("roster_street", args=[STREET]) + "?on=2021-05-31").content.decode()
    later = client.get(reverse("roster_street", args=[STREET]) + "?on=2021-06-30").content.decode()
    assert "花园路社区居委会" in earlier and NEW_NAME not in earlier
    assert "滨西社区居委会" in earlier  # on the roster until the day before the release
    assert NEW_NAME in later and "花园路社区居委会" not in later
    assert "滨西社区居委会" not in later
    assert "劝业场街道" in earlier and NEW_STREET_NAME in later
    district_earlier = client.get(reverse("roster_district", args=["120101"]) + "?on=2021-05-31").content.decode()
    district_later = client.get(reverse("roster_district", args=["120101"]) + "?on=2021-06-30").content.decode()
    assert "劝业场街道" in district_earlier and NEW_STREET_NAME not in district_earlier
    assert NEW_STREET_NAME in district_later
    detail = client.get(reverse("community_detail", args=[RENAMED]) + "?on=2021-05-31").content.decode()
    assert "花园路社区居委会" in detail
    closed = client.get(reverse("community_detail", args=[CLOSED]) + "?on=2021-06-30").content.decode()
    assert "滨西社区居委会" in closed  # its page stays readable after it closed


def test_the_figures_change_from_the_effective_date_and_not_before(
    commission_admin, django_capture_on_commit_callbacks
):
    campaign = Campaign.objects.current()
    days = [D(2021, 5, 31), D(2021, 6, 30)]
    rollup_days(campaign=campaign, days=days, force=True)

    def figures(on):
        district = ProgressSnapshot.objects.get(campaign=campaign, on=on, level="district", unit_code="120101")
        street = ProgressSnapshot.objects.get(campaign=campaign, on=on, level="street", unit_code=STREET)
        return district.roster, street.roster, street.unit_name

    may_before, june_before = figures(days[0]), figures(days[1])
    assert may_before == june_before
    with django_capture_on_commit_callbacks(execute=True):
        release_load(content=as_csv(release_rows()), filename="r.csv", effective_on=EFFECTIVE, by=commission_admin)
    # May keeps its figures and names. From June the closed community leaves both denominators, so does the one that
    # became a unit like a residents' committee (the campaign counts residents' committees), the moved one leaves
    # its old street, and the street has its new name.
    assert not campaign.counts_similar_communities
    assert figures(days[0]) == may_before
    district, street, name = figures(days[1])
    assert district == may_before[0] - 2
    assert street == may_before[1] - 3
    assert name == NEW_STREET_NAME
    # Computed again from scratch (as `rollup --full` does), May still counts the moved community in its old street
    # and the one whose kind changed as what it was then; only the names are today's.
    rollup_days(campaign=campaign, days=days, force=True)
    assert figures(days[0])[:2] == may_before[:2]
    assert figures(days[1])[:2] == (district, street)
    # The pages' definition (the ORM selectors) counts the same on both days, street by street.
    for on in days:
        roster = roster_communities(campaign=campaign, on=on).filter(district__code="120101")
        streets = Street.objects.filter(district__code="120101").annotate(n=correlated_count(roster, "street_on"))
        by_street = {s.code: s.n for s in streets}
        assert by_street[STREET] == figures(on)[1]
        stored = ProgressSnapshot.objects.filter(campaign=campaign, on=on, level="street", unit_code__in=by_street)
        assert {s.unit_code: s.roster for s in stored} == by_street, on


def test_applying_the_same_release_again_rewrites_no_row(commission_admin):
    content = as_csv(release_rows())
    release_load(content=content, filename="r.csv", effective_on=EFFECTIVE, by=commission_admin)
    counts = (DivisionChange.objects.count(), RosterChange.objects.count())

    def versions():
        if connection.vendor != "postgresql":
            return roster_state()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT code, xmin::text FROM districts_community WHERE code LIKE '120101%%' UNION ALL "
                "SELECT code, xmin::text FROM districts_street WHERE code LIKE '120101%%' UNION ALL "
                "SELECT code, xmin::text FROM districts_district WHERE code = '120101' ORDER BY 1"
            )
            return cursor.fetchall()

    before, state = versions(), roster_state()
    audit = AuditEntry.objects.count()
    diff = release_load(content=content, filename="r.csv", effective_on=EFFECTIVE, by=commission_admin)
    assert diff.is_empty
    assert versions() == before and roster_state() == state
    assert (DivisionChange.objects.count(), RosterChange.objects.count()) == counts
    assert AuditEntry.objects.count() == audit + 1
    entry = AuditEntry.objects.order_by("-id").first()
    assert entry.note == "再次应用同一区划发布：名册没有任何变化。"
    assert RosterRelease.objects.order_by("-id").first().status == "unchanged"


def test_the_batch_writer_sqlite_uses_writes_what_the_set_based_one_does(commission_admin, monkeypatch):
    content = as_csv(release_rows())
    monkeypatch.setattr(applying, "_write_postgresql", applying._write_batches)
    release_load(content=content, filename="r.csv", effective_on=EFFECTIVE, by=commission_admin)
    assert Community.objects.get(code=CLOSED).closed_on == EFFECTIVE
    assert Community.objects.get(code=RENAMED).name == NEW_NAME
    assert Community.objects.get(code=MOVED).street.code == "120101002"
    assert Community.objects.get(code=REKINDED).kind == "类似居委会"
    assert sorted(DivisionChange.objects.values_list("code", "field")) == sorted(
        [(RENAMED, "name"), (STREET, "name"), (MOVED, "parent"), (REKINDED, "kind")]
    )
    assert RosterChange.objects.filter(kind="closed").count() == 1


def test_a_release_adding_a_community_dates_its_establishment(commission_admin):
    rows = heping_rows() + [["community", "120101001901", "新建社区居委会", STREET, "居委会"]]
    diff = release_load(content=as_csv(rows), filename="r.csv", effective_on=EFFECTIVE, by=commission_admin)
    assert diff.counts["added"] == 1 and diff.counts["closed"] == 0
    new = Community.objects.get(code="120101001901")
    assert new.established_on == EFFECTIVE and new.district.code == "120101"
    assert not new.is_on_roster(D(2021, 5, 31)) and new.is_on_roster(EFFECTIVE)
    assert RosterChange.objects.filter(community=new, kind="added").exists()


def test_the_commission_previews_the_consequences_and_confirms(client_for, commission_admin):
    campaign = Campaign.objects.current()
    enrolment_enrol(
        campaign=campaign,
        communities=[Community.objects.get(code=CLOSED)],
        kind="pilot",
        joined_on=D(2020, 12, 1),
        by=None,
    )
    client = client_for(commission_admin)
    response = client.post(
        reverse("roster_releases"),
        {"file": SimpleUploadedFile("和平区2021.csv", as_csv(release_rows(), "gbk")), "effective_on": "2021-06-01"},
    )
    release = RosterRelease.objects.get()
    assert response.status_code == 302 and response.url == reverse("roster_release", args=[release.pk])
    page = re.sub(r"\s+", " ", client.get(response.url).content.decode())
    assert "将撤销的社区中有1个正在参与创建" in page
    assert f'<td data-label="代码">{CLOSED}</td>' in page
    assert Community.objects.get(code=CLOSED).closed_on is None  # nothing written before confirmation

    assert client.post(reverse("roster_release_apply", args=[release.pk])).status_code == 302
    release.refresh_from_db()
    assert release.status == "applying"
    assert release_apply_job(release.pk, commission_admin.pk) == "applied"  # what the worker runs
    release.refresh_from_db()
    assert release.status == "applied" and release.progress == 100
    assert Community.objects.get(code=CLOSED).closed_on == EFFECTIVE
    status = client.get(reverse("roster_release_status", args=[release.pk])).content.decode()
    assert "撤销1个" in status and "更名2个" in status
    listing = client.get(reverse("roster_releases")).content.decode()
    assert "和平区2021.csv" in listing and "已应用" in listing


def test_the_district_dashboard_shows_the_street_names_of_its_date(client_for, commission_admin):
    campaign = Campaign.objects.current()
    release_load(content=as_csv(release_rows()), filename="r.csv", effective_on=EFFECTIVE, by=commission_admin)
    # Computed again after the release (as `rollup --full` would), May's snapshot carries today's name...
    rollup_days(campaign=campaign, days=[D(2021, 5, 31)], force=True)
    snapshot = ProgressSnapshot.objects.get(campaign=campaign, on=D(2021, 5, 31), level="street", unit_code=STREET)
    assert snapshot.unit_name == NEW_STREET_NAME
    # ...and the page still names the street as it was called in May.
    page = client_for(commission_admin).get("/dashboard/district/120101/?on=2021-05-31").content.decode()
    assert "劝业场街道" in page and NEW_STREET_NAME not in page


def test_two_releases_in_one_transaction_each_stage_their_own_rows_and_leave_its_settings(commission_admin):
    """seed_demo applies two years' releases in one transaction: the second stages its rows afresh, and the writer's
    memory setting ends with its statements instead of lasting to the caller's commit."""

    def work_mem():
        if connection.vendor != "postgresql":
            return None
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('work_mem')")
            return cursor.fetchone()[0]

    before = work_mem()
    release_load(
        content=as_csv(release_rows(close=False, move=False, rekind=False)),
        filename="2021.csv",
        effective_on=EFFECTIVE,
        by=commission_admin,
    )
    assert work_mem() == before
    release_load(content=as_csv(release_rows()), filename="2022.csv", effective_on=D(2022, 1, 1), by=commission_admin)
    assert Community.objects.get(code=CLOSED).closed_on == D(2022, 1, 1)
    assert Community.objects.get(code=RENAMED).name == NEW_NAME
    assert list(RosterRelease.objects.order_by("id").values_list("status", flat=True)) == ["applied", "applied"]


def _roster_schema() -> list[tuple[str, str, str]]:
    """The roster tables' indexes and constraints, each with its definition."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indrelid::regclass::text, indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
            "WHERE indrelid IN ('districts_street'::regclass, 'districts_community'::regclass) UNION ALL "
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) || ' ' || condeferrable::text "
            "|| condeferred::text || convalidated::text FROM pg_constraint "
            "WHERE conrelid IN ('districts_street'::regclass, 'districts_community'::regclass) ORDER BY 1, 2, 3"
        )
        return cursor.fetchall()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the first load's set-based path is PostgreSQL's")
def test_a_first_load_into_an_empty_roster_leaves_every_index_and_key_as_it_was(monkeypatch):
    """A first load builds the roster's secondary indexes and checks its foreign keys after the rows are in: the
    same indexes and keys (names, definitions, deferrable) must be back, holding the rows, and they must hold."""
    schema = _roster_schema()
    assert any("FOREIGN KEY (street_id)" in definition for _table, _name, definition in schema)
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE districts_district, districts_street, districts_community CASCADE")
    set_aside = applying._set_aside
    put_back: list[str] = []
    monkeypatch.setattr(applying, "_set_aside", lambda *args: put_back.extend(set_aside(*args)) or put_back)
    diff = release_load(content=TIANJIN_CSV.read_bytes(), filename="tianjin.csv", effective_on=EFFECTIVE)
    assert diff.first_load and diff.counts["added"] > Community.objects.count() > 2000
    assert len(put_back) == 11  # street: 2 indexes, its unique code, 1 key; community: 4 indexes, its code, 2 keys
    assert _roster_schema() == schema
    assert Community.objects.get(code=RENAMED).street.code == STREET
    assert Street.objects.filter(code=STREET, district__code="120101").exists()
    with connection.cursor() as cursor:  # the unique code and the foreign keys are enforced again
        cursor.execute("EXPLAIN SELECT id FROM districts_community WHERE code = %s", [RENAMED])
        assert "districts_community_code_key" in " ".join(row[0] for row in cursor.fetchall())
        cursor.execute("SAVEPOINT duplicate")
        with pytest.raises(IntegrityError):
            cursor.execute(
                "INSERT INTO districts_community (code, name, kind, street_id, district_id, build_era, renovation, "
                "address, updated_at) SELECT code, name, kind, street_id, district_id, '', '', '', now() "
                "FROM districts_community WHERE code = %s",
                [RENAMED],
            )
        cursor.execute("ROLLBACK TO SAVEPOINT duplicate")
        with pytest.raises(IntegrityError):
            cursor.execute("UPDATE districts_community SET street_id = -1 WHERE code = %s", [RENAMED])
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the first load's set-based path is PostgreSQL's")
def test_a_release_onto_a_loaded_roster_sets_nothing_aside():
    """With rows already there the indexes and keys stay in place throughout (they check the rows already in)."""
    with connection.cursor() as cursor:
        assert applying._set_aside(cursor, ['"districts_street"', '"districts_community"']) == []
    assert any("FOREIGN KEY (street_id)" in definition for _table, _name, definition in _roster_schema())
