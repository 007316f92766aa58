import json
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "data" / "standard-2020.json"


def load(apps, schema_editor):
    Department = apps.get_model("districts", "Department")
    Category = apps.get_model("standards", "StandardCategory")
    Item = apps.get_model("standards", "StandardItem")
    for row in json.loads(DATA.read_text(encoding="utf-8")):
        category, _ = Category.objects.update_or_create(number=row["number"], defaults={"name": row["name"]})
        category.departments.set(Department.objects.filter(code__in=row["departments"]))
        for item in row["items"]:
            Item.objects.update_or_create(
                number=item["number"],
                defaults={
                    "category": category,
                    "text": item["text"],
                    "allows_not_applicable": item.get("allows_not_applicable", False),
                },
            )


class Migration(migrations.Migration):
    dependencies = [("standards", "0001_initial"), ("districts", "0002_departments")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
