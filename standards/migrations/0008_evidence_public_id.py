import uuid

from django.db import migrations, models


def give_each_file_a_public_id(apps, schema_editor):
    """Files kept before addresses were random get one now; their old numbered addresses no longer exist."""
    Evidence = apps.get_model("standards", "Evidence")
    for pk in Evidence.objects.filter(public_id__isnull=True).values_list("pk", flat=True).iterator():
        Evidence.objects.filter(pk=pk).update(public_id=uuid.uuid4())


class Migration(migrations.Migration):
    dependencies = [
        ("standards", "0007_acceptance_labels"),
    ]

    operations = [
        # In three steps, as a unique column with a generated default needs: nullable, filled row by row, then unique.
        migrations.AddField(
            model_name="evidence",
            name="public_id",
            field=models.UUIDField(null=True, editable=False, verbose_name="public id"),
        ),
        migrations.RunPython(give_each_file_a_public_id, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="evidence",
            name="public_id",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True, verbose_name="public id"),
        ),
    ]
