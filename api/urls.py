from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from . import views
from .community import views as community

router = DefaultRouter()
router.register("wijken", community.WijkViewSet, basename="wijk")
router.register("neighbourhoods", community.NeighbourhoodViewSet, basename="neighbourhood")

urlpatterns = [
    path("auth/token/", community.TokenView.as_view(), name="auth-token"),
    path("auth/register/", community.RegisterView.as_view(), name="auth-register"),
    path("auth/me/", community.MeView.as_view(), name="auth-me"),
    path("residents/verify/", community.VerifyResidencyView.as_view(), name="residents-verify"),
    path("voting-codes/", community.ResidenceCodeListView.as_view(), name="voting-codes"),
    path("health/", views.health, name="health"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path("", include(router.urls)),
]
