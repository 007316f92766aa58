"""Issue 17 item 3: a campaign's standard is a version of its own; the 16 items are the 2020 version."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from districts.models import AuditEntry, Community
from reporting.models import Campaign
from standards.models import SelfAssessment, StandardItem, StandardVersion
from standards.versions import (
    StandardVersionError,
    standard_item_add,
    standard_item_remove,
    standard_item_update,
    standard_version_copy,
)
from tests.builders import reported_assessment

D = datetime.date
MIGRATION = ("standards", "0013_standard_version")


def _migrate(targets: list[tuple[str, str]]):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_the_migration_makes_the_16_items_the_2020_version_without_changing_any_record(seed_data_restored):
    graph = MigrationExecutor(connection).loader.graph
    before = [node.key for node in graph.node_map[MIGRATION].parents if node.key[0] == "standards"]
    leaves = graph.leaf_nodes()
    try:
        old_apps = _migrate(before)
        OldItem = old_apps.get_model("standards", "StandardItem")
        items_before = dict(OldItem.objects.values_list("number", "pk"))
        community = old_apps.get_model("districts", "Community").objects.order_by("code").first()
        old_row = old_apps.get_model("standards", "SelfAssessment").objects.create(
            community_id=community.pk,
            district_id=community.district_id,
            period=D(2021, 3, 1),
            items={"3": "meets", "16": "not_applicable"},
            notes={"3": "已完成"},
        )
        new_apps = _migrate([MIGRATION, ("reporting", "0017_campaign_standard")])
        Version = new_apps.get_model("standards", "StandardVersion")
        versions = list(Version.objects.all())
        items_after = dict(new_apps.get_model("standards", "StandardItem").objects.values_list("number", "pk"))
        item_versions = set(new_apps.get_model("standards", "StandardItem").objects.values_list("version", flat=True))
        row = new_apps.get_model("standards", "SelfAssessment").objects.get(pk=old_row.pk)
        campaign_standards = set(new_apps.get_model("reporting", "Campaign").objects.values_list("standard", flat=True))
    finally:
        _migrate(leaves)
    assert len(versions) == 1 and versions[0].name == "天津市绿色社区创建标准（试行）"
    assert items_after == items_before and len(items_after) == 16
    assert item_versions == {versions[0].pk} and campaign_standards == {versions[0].pk}
    assert row.standard_id == versions[0].pk
    assert row.items == {"3": "meets", "16": "not_applicable"} and row.notes == {"3": "已完成"}


@pytest.mark.django_db
def test_a_new_campaigns_standard_leaves_every_old_records_items_untouched(commission_admin):
    campaign = Campaign.objects.current()
    old = campaign.standard
    community = Community.objects.filter(district__code="120101").order_by("code").first()
    row = reported_assessment(campaign, community, D(2021, 3, 1), stage=SelfAssessment.Stage.CREATING)
    SelfAssessment.objects.filter(pk=row.pk).update(items={"1": "meets", "16": "not_applicable"})
    old_items = list(StandardItem.objects.filter(version=old).order_by("number").values())

    new = standard_version_copy(source=old, name="天津市绿色社区创建标准（2023年版）", by=commission_admin)
    first = new.items.get(number=1)
    standard_item_update(
        item=first, text="社区议事协商常态化", category=first.category, allows_not_applicable=True, by=commission_admin
    )
    standard_item_remove(item=new.items.get(number=5), by=commission_admin)
    added = standard_item_add(
        version=new, category=first.category, text="开展绿色生活宣传", allows_not_applicable=False, by=commission_admin
    )

    assert list(StandardItem.objects.filter(version=old).order_by("number").values()) == old_items
    assert new.items.count() == 16 and added.number == 16
    assert new.items.get(number=1).text == "社区议事协商常态化"
    assert new.items.get(number=5).text == old.items.get(number=6).text  # the later items moved up
    assert not set(new.items.values_list("pk", flat=True)) & {item["id"] for item in old_items}
    row.refresh_from_db()
    assert row.standard_id == old.pk and row.items == {"1": "meets", "16": "not_applicable"}
    assert old.items.get(number=1).text.startswith("坚持美好环境与幸福生活共同缔造理念")
    assert AuditEntry.objects.filter(content_type__model="standarditem", action="delete").count() == 1


@pytest.mark.django_db
def test_a_standard_with_records_refuses_every_change(commission_admin):
    campaign = Campaign.objects.current()
    community = Community.objects.filter(district__code="120101").order_by("code").first()
    reported_assessment(campaign, community, D(2021, 3, 1))
    item = campaign.standard.items.get(number=2)
    with pytest.raises(StandardVersionError, match="不能再修改"):
        standard_item_update(
            item=item, text="改写", category=item.category, allows_not_applicable=False, by=commission_admin
        )
    with pytest.raises(StandardVersionError):
        standard_item_remove(item=item, by=commission_admin)
    assert StandardItem.objects.get(pk=item.pk).text == item.text
    assert StandardVersion.objects.count() == 1
