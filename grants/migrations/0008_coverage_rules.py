"""Coverage of top priorities as three rules the software checks, replacing the stored but
unread ``coverage_rule`` and ``coverage_min_percent``: "each_top_priority_funded" becomes
``one_project_per_top_priority``, "min_share_per_top_priority" keeps its percentage."""

from decimal import Decimal

import django.core.validators
from django.db import migrations, models


def forward(apps, schema_editor):
    Fund = apps.get_model("grants", "Fund")
    for fund in Fund.objects.all():
        fund.one_project_per_top_priority = fund.coverage_rule == "each_top_priority_funded"
        if fund.coverage_rule == "min_share_per_top_priority":
            fund.min_share_per_top_priority = fund.coverage_min_percent
        fund.save(update_fields=["one_project_per_top_priority", "min_share_per_top_priority"])


def backward(apps, schema_editor):
    Fund = apps.get_model("grants", "Fund")
    for fund in Fund.objects.all():
        if fund.one_project_per_top_priority:
            fund.coverage_rule = "each_top_priority_funded"
        elif fund.min_share_per_top_priority:
            fund.coverage_rule = "min_share_per_top_priority"
            fund.coverage_min_percent = fund.min_share_per_top_priority
        fund.save(update_fields=["coverage_rule", "coverage_min_percent"])


PERCENT = dict(
    max_digits=5,
    decimal_places=2,
    default=Decimal("0"),
    validators=[
        django.core.validators.MinValueValidator(Decimal("0")),
        django.core.validators.MaxValueValidator(Decimal("100")),
    ],
)


class Migration(migrations.Migration):
    dependencies = [("grants", "0007_topup_over_need")]

    operations = [
        migrations.AddField(
            model_name="fund",
            name="one_project_per_top_priority",
            field=models.BooleanField(
                default=False, verbose_name="every top priority gets at least one project"
            ),
        ),
        migrations.AddField(
            model_name="fund",
            name="min_share_per_top_priority",
            field=models.DecimalField(
                verbose_name="minimum share per top priority (percent)", **PERCENT
            ),
        ),
        migrations.AddField(
            model_name="fund",
            name="min_share_top_priorities_total",
            field=models.DecimalField(
                verbose_name="minimum share of the top priorities together (percent)", **PERCENT
            ),
        ),
        migrations.RunPython(forward, backward),
        migrations.RemoveField(model_name="fund", name="coverage_rule"),
        migrations.RemoveField(model_name="fund", name="coverage_min_percent"),
    ]
