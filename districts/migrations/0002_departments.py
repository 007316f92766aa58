import json
from pathlib import Path

from django.db import migrations

DATA = Path(__file__).resolve().parent.parent / "data" / "departments.json"


def load(apps, schema_editor):
    Department = apps.get_model("districts", "Department")
    for order, row in enumerate(json.loads(DATA.read_text(encoding="utf-8")), start=1):
        Department.objects.update_or_create(
            code=row["code"], defaults={"name": row["name"], "is_lead": row.get("is_lead", False), "order": order}
        )


class Migration(migrations.Migration):
    dependencies = [("districts", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
