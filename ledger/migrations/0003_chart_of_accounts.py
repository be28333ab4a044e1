from django.db import migrations

from ledger.chart import CHART


def install(apps, schema_editor):
    Account = apps.get_model("ledger", "Account")
    for a in CHART:
        Account.objects.get_or_create(
            code=a.code,
            defaults={"name": a.name, "type": a.type, "source": a.source, "rj640_line": a.rj640_line},
        )


class Migration(migrations.Migration):
    dependencies = [("ledger", "0002_database_guards")]
    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
