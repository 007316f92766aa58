"""Each generated document records the campaign it was made for. Documents made before were all of the campaign then
current, whose months or years their period had to fall in: the campaign whose dates cover the period is theirs, and
the current campaign that of the others (an acceptance record has no period)."""

import datetime

import django.db.models.deletion
from django.db import migrations, models


def _covering(campaigns, period):
    if len(period) == 7:  # YYYY-MM
        first = datetime.date(int(period[:4]), int(period[5:]), 1)
        last = (first + datetime.timedelta(days=31)).replace(day=1) - datetime.timedelta(days=1)
    elif len(period) == 4:  # YYYY
        first, last = datetime.date(int(period), 1, 1), datetime.date(int(period), 12, 31)
    else:
        return None
    return next((c for c in campaigns if c.starts_on <= last and c.ends_on >= first), None)


def to_their_campaign(apps, schema_editor):
    Campaign = apps.get_model("reporting", "Campaign")
    GeneratedDocument = apps.get_model("reporting", "GeneratedDocument")
    campaigns = list(Campaign.objects.order_by("-starts_on", "-pk"))
    current = next((c for c in campaigns if c.is_current), campaigns[0] if campaigns else None)
    for document in GeneratedDocument.objects.filter(campaign__isnull=True).only("pk", "period"):
        campaign = _covering(campaigns, document.period) or current
        if campaign is None:  # no campaign at all: the document could not have been made
            document.delete()
            continue
        GeneratedDocument.objects.filter(pk=document.pk).update(campaign=campaign)


class Migration(migrations.Migration):
    dependencies = [("reporting", "0017_campaign_standard")]

    operations = [
        migrations.AddField(
            model_name="generateddocument",
            name="campaign",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="documents",
                to="reporting.campaign",
                verbose_name="campaign",
            ),
        ),
        migrations.RunPython(to_their_campaign, migrations.RunPython.noop),
    ]
