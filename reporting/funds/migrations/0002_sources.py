"""The funding sources the policy names ("统筹用好城镇老旧小区改造、绿色建筑、既有建筑绿色化改造、海绵城市建设、
智慧城市建设等…各类资金") and the three it adds (财政专项, bank credit and social capital). Data, not code: the
commission may add more in the admin."""

from django.db import migrations

SOURCES = [
    ("old-estate", "城镇老旧小区改造"),
    ("green-building", "绿色建筑"),
    ("green-retrofit", "既有建筑绿色化改造"),
    ("sponge-city", "海绵城市建设"),
    ("smart-city", "智慧城市建设"),
    ("fiscal", "财政专项"),
    ("bank-credit", "银行信贷"),
    ("social-capital", "社会资本"),
]


def seed(apps, schema_editor):
    FundingSource = apps.get_model("funds", "FundingSource")
    for order, (code, name) in enumerate(SOURCES, start=1):
        FundingSource.objects.update_or_create(code=code, defaults={"name": name, "order": order})


def unseed(apps, schema_editor):
    apps.get_model("funds", "FundingSource").objects.filter(code__in=[code for code, _name in SOURCES]).delete()


class Migration(migrations.Migration):
    dependencies = [("funds", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
