from __future__ import annotations

from typing import Any

from rest_framework import serializers

from banking.models import BankLine, BankStatement
from banking.selectors import Reconciliation

from ..fields import StrictBooleanField, StrictCharField, StrictIntegerField


class StatementUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="a CAMT.053 (001.02 to 001.08) or MT940 file")


class BankStatementSerializer(serializers.ModelSerializer):
    lines = StrictIntegerField(source="lines.count", read_only=True)

    class Meta:
        model = BankStatement
        fields = [
            "id", "cooperative", "format", "statement_id", "account_iban",
            "opening_balance_cents", "opening_date", "closing_balance_cents", "closing_date",
            "lines", "imported_at",
        ]  # fmt: skip


class ImportResultSerializer(serializers.Serializer):
    statements = BankStatementSerializer(many=True)
    new_lines = StrictIntegerField()
    known_lines = StrictIntegerField()
    matched = StrictIntegerField(help_text="lines matched by this import (old ones too)")


class BankLineSerializer(serializers.ModelSerializer):
    matched = StrictBooleanField(read_only=True)

    class Meta:
        model = BankLine
        fields = [
            "id", "cooperative", "statement", "position", "booking_date", "value_date",
            "amount_cents", "counterparty_name", "counterparty_iban", "remittance",
            "end_to_end_id", "entry_reference", "is_return", "return_reason",
            "bank_transaction_code", "matched", "match", "payout_item", "application", "fund",
            "entry", "note", "handled_by", "handled_at",
        ]  # fmt: skip


class LineBookSerializer(serializers.Serializer):
    account = serializers.RegexField(r"^\d{4}$", help_text="an account code of the chart")
    fund = StrictIntegerField(
        min_value=1,
        max_value=2**31 - 1,
        required=False,
        help_text="a deposit into this fund (account: the income account of its source)",
    )
    description = StrictCharField(max_length=500, required=False, allow_blank=True)


class LineIgnoreSerializer(serializers.Serializer):
    reason = StrictCharField(max_length=500)


class ReconciliationQuerySerializer(serializers.Serializer):
    date = serializers.DateField()
    cooperative = StrictIntegerField(min_value=1, max_value=2**31 - 1, required=False)


class ReconciliationSerializer(serializers.Serializer):
    cooperative = StrictIntegerField(source="cooperative.pk")
    date = serializers.DateField(source="on")
    statement = BankStatementSerializer(allow_null=True)
    bank_balance_cents = StrictIntegerField(allow_null=True)
    ledger_balance_cents = StrictIntegerField(
        help_text="the books' bank account on the statement's closing date"
    )
    ledger_balance_on_date_cents = StrictIntegerField()
    difference_cents = StrictIntegerField(allow_null=True)
    open_lines = BankLineSerializer(many=True)
    open_lines_cents = StrictIntegerField()
    unexplained_cents = StrictIntegerField(
        allow_null=True, help_text="0 when the open lines explain the whole difference"
    )

    def to_representation(self, instance: Reconciliation) -> Any:
        return super().to_representation(instance)
