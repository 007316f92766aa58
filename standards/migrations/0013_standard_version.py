"""The standard becomes versioned: the 16 items loaded in 0002 become the 2020 version, and every record made so far
(self-assessments, acceptance rounds) points at it. No item's id changes, so every answer, rectification, file and
self-assessment key keeps meaning what it meant."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import standards.models

VERSION_2020 = "天津市绿色社区创建标准（试行）"


def attach_to_2020(apps, schema_editor):
    Version = apps.get_model("standards", "StandardVersion")
    Category = apps.get_model("standards", "StandardCategory")
    Item = apps.get_model("standards", "StandardItem")
    SelfAssessment = apps.get_model("standards", "SelfAssessment")
    Round = apps.get_model("standards", "AcceptanceRound")
    version = Version.objects.order_by("pk").first() or Version.objects.create(name=VERSION_2020)
    Category.objects.filter(version__isnull=True).update(version=version)
    Item.objects.filter(version__isnull=True).update(version=version)
    SelfAssessment.objects.filter(standard__isnull=True).update(standard=version)
    Round.objects.filter(standard__isnull=True).update(standard=version)


def _version_field(related_name):
    return models.ForeignKey(
        null=True,
        on_delete=django.db.models.deletion.PROTECT,
        related_name=related_name,
        to="standards.standardversion",
        verbose_name="standard version",
    )


class Migration(migrations.Migration):
    dependencies = [
        ("standards", "0012_recheck_and_revocation"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="StandardVersion",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=100, verbose_name="name")),
                ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="created at")),
                (
                    "copied_from",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="standards.standardversion",
                        verbose_name="copied from",
                    ),
                ),
                (
                    "created_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "standard version",
                "verbose_name_plural": "standard versions",
                "ordering": ["created_at", "pk"],
            },
        ),
        migrations.AddField("standardcategory", "version", _version_field("categories")),
        migrations.AddField("standarditem", "version", _version_field("items")),
        migrations.AddField("selfassessment", "standard", _version_field("+")),
        migrations.AddField("acceptanceround", "standard", _version_field("+")),
        migrations.RunPython(attach_to_2020, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="standardcategory",
            name="version",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="categories",
                to="standards.standardversion",
                verbose_name="standard version",
            ),
        ),
        migrations.AlterField(
            model_name="standarditem",
            name="version",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="items",
                to="standards.standardversion",
                verbose_name="standard version",
            ),
        ),
        migrations.AlterField(
            model_name="selfassessment",
            name="standard",
            field=models.ForeignKey(
                default=standards.models.first_standard_version_id,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="standards.standardversion",
                verbose_name="standard version",
            ),
        ),
        migrations.AlterField(
            model_name="acceptanceround",
            name="standard",
            field=models.ForeignKey(
                default=standards.models.first_standard_version_id,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="standards.standardversion",
                verbose_name="standard version",
            ),
        ),
        migrations.AlterField(
            model_name="standardcategory",
            name="number",
            field=models.PositiveSmallIntegerField(verbose_name="number"),
        ),
        migrations.AlterField(
            model_name="standarditem",
            name="number",
            field=models.PositiveSmallIntegerField(verbose_name="number"),
        ),
        migrations.AlterModelOptions(
            name="standardcategory",
            options={
                "ordering": ["version", "number"],
                "verbose_name": "standard category",
                "verbose_name_plural": "standard categories",
            },
        ),
        migrations.AlterModelOptions(
            name="standarditem",
            options={
                "ordering": ["version", "number"],
                "verbose_name": "standard item",
                "verbose_name_plural": "standard items",
            },
        ),
        migrations.AddConstraint(
            model_name="standardcategory",
            constraint=models.UniqueConstraint(fields=("version", "number"), name="category_number_unique_in_version"),
        ),
        migrations.AddConstraint(
            model_name="standarditem",
            constraint=models.UniqueConstraint(fields=("version", "number"), name="item_number_unique_in_version"),
        ),
    ]
