"""The migration that gives every kept file a random public id (Issue 14 item 8)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

MIGRATION = ("standards", "0008_evidence_public_id")


def _migrate(targets: list[tuple[str, str]]):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_files_kept_before_the_migration_each_get_their_own_random_id(seed_data_restored):
    """Issue 14 item 8: the data migration fills the column for existing rows, one distinct id each."""
    graph = MigrationExecutor(connection).loader.graph
    before = sorted(graph.node_map[MIGRATION].parents, key=lambda node: node.key)
    before = [node.key for node in before if node.key[0] == "standards"]
    leaves = graph.leaf_nodes()
    try:
        old_apps = _migrate(before)
        Evidence = old_apps.get_model("standards", "Evidence")
        for number in range(3):
            Evidence.objects.create(
                file=f"evidence/120101/2021/03/{number}.pdf",
                original_name=f"方案{number}.pdf",
                content_type="application/pdf",
                kind="pdf",
                size=10,
                sha256="0" * 64,
            )
        new_apps = _migrate([MIGRATION])
        ids = list(new_apps.get_model("standards", "Evidence").objects.values_list("public_id", flat=True))
    finally:
        _migrate(leaves)
    assert len(ids) == 3 and None not in ids
    assert len(set(ids)) == 3
    assert all(public_id.version == 4 for public_id in ids)
