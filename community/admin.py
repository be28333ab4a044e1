"""Admin for coordinators and board members: Dutch labels come from the models' verbose names."""

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.http import HttpRequest

from .models import (
    AuditEvent,
    Cooperative,
    MemberOrganisation,
    Membership,
    Neighbourhood,
    ResidenceCode,
    Residency,
    User,
    Wijk,
)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    inlines = [MembershipInline]


@admin.register(Wijk)
class WijkAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Neighbourhood)
class NeighbourhoodAdmin(admin.ModelAdmin):
    list_display = ["name", "wijk"]
    list_filter = ["wijk"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Cooperative)
class CooperativeAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "parent"]
    list_filter = ["kind"]
    search_fields = ["name"]
    filter_horizontal = ["neighbourhoods"]
    inlines = [MembershipInline]


@admin.register(MemberOrganisation)
class MemberOrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "cooperative", "member_kind", "active"]
    list_filter = ["member_kind", "cooperative", "active"]
    search_fields = ["name"]
    filter_horizontal = ["neighbourhoods", "representatives"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written only by services: visible, never edited by hand."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ResidenceCode)
class ResidenceCodeAdmin(ReadOnlyAdmin):
    list_display = ["id", "neighbourhood", "issued_by", "issued_at", "expires_at", "redeemed_at"]
    list_filter = ["neighbourhood"]
    exclude = ["code_hash"]


@admin.register(Residency)
class ResidencyAdmin(ReadOnlyAdmin):
    list_display = ["user", "neighbourhood", "verified_at", "ended_at"]
    list_filter = ["neighbourhood"]
    search_fields = ["user__username"]


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "action", "actor", "object_type", "object_id"]
    list_filter = ["action", "object_type"]
    search_fields = ["action", "object_id", "actor__username"]
    date_hierarchy = "created_at"
