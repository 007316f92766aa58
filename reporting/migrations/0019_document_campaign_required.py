"""A document's campaign is required, and a document is one per campaign, kind, period and scope (two campaigns
may each have an acceptance record of the same community, or an annual compilation of a year they share). Apart
from 0018: on PostgreSQL a table whose rows were just updated cannot be altered in the same transaction."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("reporting", "0018_document_campaign")]

    operations = [
        migrations.AlterField(
            model_name="generateddocument",
            name="campaign",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="documents",
                to="reporting.campaign",
                verbose_name="campaign",
            ),
        ),
        migrations.RemoveConstraint(model_name="generateddocument", name="one_document_per_kind_period_scope"),
        migrations.AddConstraint(
            model_name="generateddocument",
            constraint=models.UniqueConstraint(
                fields=("campaign", "kind", "period", "scope_code"), name="one_document_per_campaign_kind_period_scope"
            ),
        ),
    ]
