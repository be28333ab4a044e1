"""Admin for coordinators and board members: Dutch labels come from the models' verbose names."""

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .audit import audit_log
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
from .selectors import is_structure_admin, staff_cooperative_ids
from .services import membership_end, membership_grant


class CooperativeScoped(admin.ModelAdmin):
    """Non-superuser staff see only their own cooperatives' objects (and, in a city
    cooperative, its members'). ``scope`` is the lookup from the object to its cooperative."""

    scope = "cooperative"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset = super().get_queryset(request)
        ids = staff_cooperative_ids(user=request.user)
        if ids is None:
            return queryset
        return queryset.filter(**{f"{self.scope}__in": ids}).distinct()


class MembershipInline(admin.TabularInline):
    """Shown, never edited here: roles begin and end through the Membership admin."""

    model = Membership
    extra = 0
    can_delete = False
    fields = ["user", "cooperative", "role", "active", "created_at"]
    readonly_fields = ["user", "cooperative", "role", "active", "created_at"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


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


class StructureAdmin(CooperativeScoped):
    """The structure (cooperatives, their buurten, roles) changes only by a superuser or a
    board member of the city cooperative, and every change is audited."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return is_structure_admin(user=request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_structure_admin(user=request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a cooperative or role ends; its history stays


@admin.register(Cooperative)
class CooperativeAdmin(StructureAdmin):
    list_display = ["name", "kind", "parent"]
    list_filter = ["kind"]
    search_fields = ["name"]
    filter_horizontal = ["neighbourhoods"]
    inlines = [MembershipInline]
    scope = "pk"

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        cooperative = form.instance
        audit_log(
            actor=request.user,  # type: ignore[arg-type]
            action="cooperative_changed" if change else "cooperative_created",
            obj=cooperative,
            data={
                "changed": sorted(form.changed_data),
                "kind": cooperative.kind,
                "parent": cooperative.parent.slug if cooperative.parent else None,
                "neighbourhoods": sorted(cooperative.neighbourhoods.values_list("slug", flat=True)),
            },
        )


@admin.register(Membership)
class MembershipAdmin(StructureAdmin):
    """Roles: granted with the form, ended with the action (audited; the last role's end
    takes the admin away). Never edited or deleted, so the history stays."""

    list_display = ["user", "cooperative", "role", "active", "created_at"]
    list_filter = ["role", "active", "cooperative"]
    search_fields = ["user__username", "cooperative__name"]
    raw_id_fields = ["user"]
    fields = ["user", "cooperative", "role"]
    actions = ["end_memberships"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_form(  # type: ignore[override]
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change, **kwargs)

        class NotYourself(form):  # type: ignore[valid-type, misc]
            def clean(self) -> dict[str, Any]:
                data = super().clean()
                user = data.get("user")
                if user is not None and user.pk == request.user.pk and not user.is_superuser:
                    raise ValidationError(
                        _("Another board member of the city cooperative must grant your roles.")
                    )
                return data

        return NotYourself

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        form.instance = membership_grant(
            user=obj.user,
            cooperative=obj.cooperative,
            role=obj.role,
            acting_user=request.user,  # type: ignore[arg-type]
        )

    @admin.action(description=_("End the selected roles"), permissions=["end"])
    def end_memberships(self, request: HttpRequest, queryset: QuerySet[Membership]) -> None:
        for membership in queryset.filter(active=True):
            membership_end(membership=membership, acting_user=request.user)  # type: ignore[arg-type]

    def has_end_permission(self, request: HttpRequest) -> bool:
        return is_structure_admin(user=request.user)


@admin.register(MemberOrganisation)
class MemberOrganisationAdmin(CooperativeScoped):
    """Coordinators and board members keep their own member organisations; who represents
    one changes only by a superuser or a city board member, audited."""

    list_display = ["name", "cooperative", "member_kind", "active"]
    list_filter = ["member_kind", "cooperative", "active"]
    search_fields = ["name"]
    filter_horizontal = ["neighbourhoods", "representatives"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [] if is_structure_admin(user=request.user) else ["representatives"]

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        ids = staff_cooperative_ids(user=request.user)
        if db_field.name == "cooperative" and ids is not None:
            kwargs["queryset"] = Cooperative.objects.filter(pk__in=ids)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        ids = staff_cooperative_ids(user=request.user)
        if db_field.name == "neighbourhoods" and ids is not None:
            kwargs["queryset"] = Neighbourhood.objects.filter(cooperatives__in=ids).distinct()
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        organisation = form.instance
        before = (
            set(organisation.representatives.values_list("username", flat=True))
            if change
            else set()
        )
        super().save_related(request, form, formsets, change)
        after = set(organisation.representatives.values_list("username", flat=True))
        audit_log(
            actor=request.user,  # type: ignore[arg-type]
            action="member_organisation_changed" if change else "member_organisation_created",
            obj=organisation,
            data={
                "changed": sorted(form.changed_data),
                "representatives_added": sorted(after - before),
                "representatives_removed": sorted(before - after),
            },
        )


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written only by services: visible, never edited by hand."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ResidenceCode)
class ResidenceCodeAdmin(ReadOnlyAdmin, CooperativeScoped):
    scope = "neighbourhood__cooperatives"
    list_display = ["id", "neighbourhood", "issued_by", "issued_at", "expires_at", "redeemed_at"]
    list_filter = ["neighbourhood"]
    exclude = ["code_hash"]


@admin.register(Residency)
class ResidencyAdmin(ReadOnlyAdmin, CooperativeScoped):
    scope = "neighbourhood__cooperatives"
    list_display = ["user", "neighbourhood", "verified_at", "ended_at"]
    list_filter = ["neighbourhood"]
    search_fields = ["user__username"]


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin, CooperativeScoped):
    """Each cooperative's staff see its own events; city-wide ones only superusers."""

    list_display = ["created_at", "action", "actor", "object_type", "object_id"]
    list_filter = ["action", "object_type"]
    search_fields = ["action", "object_id", "actor__username"]
    date_hierarchy = "created_at"
