from django.contrib import admin
from django.contrib.auth.views import LoginView
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from backend import health
from backend.client import throttled_login

admin.site.site_header = "buurtfonds"
admin.site.site_title = _("buurtfonds admin")
admin.site.index_title = _("Funds, applications and residents")

urlpatterns = [
    # Every login form spends the same per-address budget as the API's token endpoint;
    # django-axes locks a username out from an address after repeated failures.
    path("admin/login/", throttled_login(admin.site.login)),
    path("admin/", admin.site.urls),
    path("api/v1/", include("api.urls")),
    path(
        "api-auth/login/",
        throttled_login(LoginView.as_view(template_name="rest_framework/login.html")),
    ),
    path("api-auth/", include("rest_framework.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    # The residents' pages, at the site root.
    path("", include("web.urls")),
]

handler400 = "api.views.bad_request"
handler404 = "api.views.not_found"
handler500 = "api.views.server_error"
