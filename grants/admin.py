"""Funds, priorities and applications in the admin. Applications change only through their
services (the state machine), so the admin shows them read-only, with their history.
Board members read their own cooperative's funds and applications; nobody else's."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from community.admin import CooperativeScoped

from .models import (
    Application,
    Fund,
    Priority,
    Receipt,
    Round,
    StatusChange,
    StripeEvent,
    TopUp,
)


@admin.register(Fund)
class FundAdmin(CooperativeScoped):
    list_display = ["name", "kind", "cooperative", "neighbourhood", "max_request_cents", "quorum"]
    list_filter = ["kind", ("cooperative", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name"]
    readonly_fields = ["earmark", "kind", "cooperative"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # opened through the API, which creates the fund's earmark in the books

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Priority)
class PriorityAdmin(admin.ModelAdmin):
    list_display = ["neighbourhood", "year", "rank", "title"]
    list_filter = ["year", "neighbourhood"]
    search_fields = ["title"]


class StatusChangeInline(admin.TabularInline):
    model = StatusChange
    extra = 0
    can_delete = False
    fields = ("created_at", "from_status", "to_status", "actor", "reason")
    readonly_fields = ("created_at", "from_status", "to_status", "actor", "reason")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReceiptInline(admin.TabularInline):
    model = Receipt
    extra = 0
    can_delete = False
    fields = ("original_name", "content_type", "size", "uploaded_at")
    readonly_fields = ("original_name", "content_type", "size", "uploaded_at")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Application)
class ApplicationAdmin(CooperativeScoped):
    scope = "fund__cooperative"
    list_display = [
        "title",
        "fund",
        "status",
        "amount_requested_cents",
        "vote_closes_at",
        "follow_up",
    ]
    list_filter = ["status", ("fund", admin.RelatedOnlyFieldListFilter), "follow_up"]
    search_fields = ["title", "summary"]
    exclude = ["payee_iban"]
    inlines = [StatusChangeInline, ReceiptInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in Application._meta.fields if f.name != "payee_iban"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows that change only through their services: shown, never edited here."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(TopUp)
class TopUpAdmin(ReadOnlyAdmin):
    """Top-ups change only through Stripe's events and the refund tasks."""

    list_display = ["id", "application", "amount_cents", "status", "created_at"]
    list_filter = ["status"]


@admin.register(StripeEvent)
class StripeEventAdmin(ReadOnlyAdmin):
    list_display = ["event_id", "type", "object_id", "received_at", "outcome"]
    list_filter = ["type"]


@admin.register(Round)
class RoundAdmin(ReadOnlyAdmin):
    """Rounds change only through their services (the API)."""

    list_display = ["fund", "year", "status", "budget_cents", "decided_at"]
    list_filter = ["status", "year"]
