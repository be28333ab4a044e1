"""The books in the admin: read-only, since every entry is written by the posting service."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import Account, Earmark, FiscalPeriod, JournalEntry, JournalLine, ProjectAdministration


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class JournalLineInline(admin.TabularInline):
    model = JournalLine
    extra = 0
    can_delete = False
    fields = ("account", "side", "amount_cents", "project", "earmark")
    readonly_fields = ("account", "side", "amount_cents", "project", "earmark")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(JournalEntry)
class JournalEntryAdmin(ReadOnly):
    list_display = ["id", "date", "kind", "description", "created_by", "reverses"]
    list_filter = ["kind", "fiscal_year", "period"]
    search_fields = ["description", "idempotency_key", "cause"]
    date_hierarchy = "date"
    inlines = [JournalLineInline]


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    """Accounts come from the chart; only whether one is open for posting may change."""

    list_display = ["code", "name", "type", "source", "rj640_line", "active"]
    list_filter = ["type", "active"]
    readonly_fields = ["code", "name", "type", "source", "rj640_line"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(FiscalPeriod)
class FiscalPeriodAdmin(ReadOnly):
    list_display = ["year", "month", "closed_at", "closed_by"]
    list_filter = ["year"]


@admin.register(ProjectAdministration)
class ProjectAdministrationAdmin(ReadOnly):
    list_display = ["code", "name", "ref"]


@admin.register(Earmark)
class EarmarkAdmin(ReadOnly):
    list_display = ["ref", "kind", "name", "parent", "project"]
    list_filter = ["kind"]
    search_fields = ["ref", "name"]
