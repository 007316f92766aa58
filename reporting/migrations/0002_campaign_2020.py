import json
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "data" / "campaign-2020.json"


def load(apps, schema_editor):
    Campaign = apps.get_model("reporting", "Campaign")
    data = json.loads(DATA.read_text(encoding="utf-8"))
    if Campaign.objects.filter(name=data["name"]).exists():
        return
    campaign = Campaign.objects.create(
        name=data["name"],
        issued_by=data["issued_by"],
        starts_on=data["starts_on"],
        ends_on=data["ends_on"],
        counts_similar_communities=data["counts_similar_communities"],
        is_current=True,
    )
    for phase in data["phases"]:
        campaign.phases.create(**phase)
    for milestone in data["milestones"]:
        campaign.milestones.create(**milestone)
    for deadline in data["deadlines"]:
        campaign.deadlines.create(**deadline)


class Migration(migrations.Migration):
    dependencies = [("reporting", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
