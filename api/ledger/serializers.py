from rest_framework import serializers

from ledger.exports import FORMATS
from ledger.models import Account, FiscalPeriod, JournalEntry, JournalLine

from ..fields import StrictBooleanField, StrictCharField, StrictIntegerField


class AccountSerializer(serializers.ModelSerializer):
    class Meta:
        model = Account
        fields = ["code", "name", "type", "source", "rj640_line", "active"]


class JournalLineSerializer(serializers.ModelSerializer):
    account: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    project: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    earmark: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="ref", read_only=True
    )

    class Meta:
        model = JournalLine
        fields = ["account", "side", "amount_cents", "currency", "project", "earmark"]


class JournalEntrySerializer(serializers.ModelSerializer):
    lines = JournalLineSerializer(many=True, read_only=True)
    created_by: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )

    class Meta:
        model = JournalEntry
        fields = [
            "id", "date", "fiscal_year", "period", "kind", "description", "cause",
            "reverses", "created_by", "created_at", "lines",
        ]  # fmt: skip


class YearQuerySerializer(serializers.Serializer):
    year = StrictIntegerField(min_value=2000, max_value=2200)
    project = StrictCharField(max_length=20, required=False)


class ExportQuerySerializer(YearQuerySerializer):
    format = serializers.ChoiceField(choices=FORMATS)
    decimal = serializers.ChoiceField(choices=["point", "comma"], default="point")


class TrialBalanceRowSerializer(serializers.Serializer):
    code = StrictCharField()
    name = StrictCharField()
    type = StrictCharField()
    debit_cents = StrictIntegerField()
    credit_cents = StrictIntegerField()
    balance_cents = StrictIntegerField()


class TrialBalanceSerializer(serializers.Serializer):
    year = StrictIntegerField()
    project = StrictCharField(allow_null=True)
    accounts = TrialBalanceRowSerializer(many=True)
    total_debit_cents = StrictIntegerField()
    total_credit_cents = StrictIntegerField()


class StatementLineSerializer(serializers.Serializer):
    code = StrictCharField()
    name = StrictCharField()
    rj640_line = StrictCharField()
    amount_cents = StrictIntegerField()


class IncomeStatementSerializer(serializers.Serializer):
    income = StatementLineSerializer(many=True)
    expenses = StatementLineSerializer(many=True)
    appropriation = StatementLineSerializer(many=True)
    total_income_cents = StrictIntegerField()
    total_expenses_cents = StrictIntegerField()
    result_cents = StrictIntegerField()
    result_after_appropriation_cents = StrictIntegerField()


class BalanceSheetSerializer(serializers.Serializer):
    assets = StatementLineSerializer(many=True)
    liabilities = StatementLineSerializer(many=True)
    funds_and_reserves = StatementLineSerializer(many=True)
    unappropriated_result_cents = StrictIntegerField()
    total_assets_cents = StrictIntegerField()
    total_liabilities_and_equity_cents = StrictIntegerField()


class OwnContributionSerializer(serializers.Serializer):
    project_code = StrictCharField()
    project_name = StrictCharField()
    own_income_by_source = serializers.DictField(child=StrictIntegerField())
    own_income_cents = StrictIntegerField()
    needed_cents = StrictIntegerField()
    ratio = serializers.DecimalField(max_digits=12, decimal_places=4, allow_null=True)
    required_ratio = serializers.DecimalField(max_digits=5, decimal_places=4)
    meets_rule = StrictBooleanField()


class PeriodCloseSerializer(serializers.Serializer):
    year = StrictIntegerField(min_value=2000, max_value=2200)
    month = StrictIntegerField(min_value=1, max_value=12)


class PeriodSerializer(serializers.ModelSerializer):
    closed_by: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="username", read_only=True
    )

    class Meta:
        model = FiscalPeriod
        fields = ["year", "month", "closed_at", "closed_by"]
