from django.urls import include, path

from .views import BareInsert

urlpatterns = [
    path("bare/", BareInsert.as_view()),
    path("", include("backend.urls")),
]
