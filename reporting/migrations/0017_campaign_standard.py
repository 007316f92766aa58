"""Each campaign names its standard version; the campaigns there are measure against the 2020 standard."""

import django.db.models.deletion
from django.db import migrations, models


def to_2020(apps, schema_editor):
    Campaign = apps.get_model("reporting", "Campaign")
    Version = apps.get_model("standards", "StandardVersion")
    version = Version.objects.order_by("created_at", "pk").first()
    if version is not None:
        Campaign.objects.filter(standard__isnull=True).update(standard=version)


class Migration(migrations.Migration):
    dependencies = [("reporting", "0016_revocation_schedule"), ("standards", "0013_standard_version")]

    operations = [
        migrations.AddField(
            model_name="campaign",
            name="standard",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="campaigns",
                to="standards.standardversion",
                verbose_name="standard",
            ),
        ),
        migrations.RunPython(to_2020, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="campaign",
            name="standard",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="campaigns",
                to="standards.standardversion",
                verbose_name="standard",
            ),
        ),
    ]
