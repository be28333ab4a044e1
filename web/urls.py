from django.contrib.auth import views as auth_views
from django.urls import path

from backend.client import throttled_login

from . import views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("buurt/<slug:slug>/", views.buurt, name="buurt"),
    path("buurt/<slug:slug>/<int:year>/", views.year_results, name="year_results"),
    path("innovatieronde/<int:pk>/", views.round_results, name="round_results"),
    path("aanvraag/<int:pk>/", views.application, name="application"),
    path("aanvraag/<int:pk>/stem/", views.vote, name="vote"),
    path("aanvraag/<int:pk>/bewerken/", views.edit, name="edit"),
    path("aanvraag/<int:pk>/insturen/", views.submit, name="submit"),
    path("aanvraag/<int:pk>/intrekken/", views.withdraw, name="withdraw"),
    path("aanvraag/<int:pk>/verslag/", views.report, name="report"),
    path("aanvragen/nieuw/", views.apply, name="apply"),
    path("aanvragen/eigen-bijdrage/", views.own_contribution, name="own_contribution"),
    path("mijn-aanvragen/", views.mine, name="mine"),
    path("bon/", views.receipt, name="receipt"),
    path("aanmelden/", views.signup, name="signup"),
    path("code/", views.code, name="code"),
    path(
        "inloggen/",
        throttled_login(auth_views.LoginView.as_view(template_name="web/login.html")),
        name="login",
    ),
    path("uitloggen/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "wachtwoord/",
        auth_views.PasswordResetView.as_view(
            template_name="web/password_reset.html",
            email_template_name="web/password_reset_email.txt",
            subject_template_name="web/password_reset_subject.txt",
            success_url="/wachtwoord/verstuurd/",
        ),
        name="password_reset",
    ),
    path(
        "wachtwoord/verstuurd/",
        auth_views.PasswordResetDoneView.as_view(template_name="web/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "wachtwoord/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="web/password_reset_confirm.html", success_url="/inloggen/"
        ),
        name="password_reset_confirm",
    ),
    path("toegankelijkheid/", views.accessibility, name="accessibility"),
    path("wachtwoord-wijzigen/", views.password_change, name="password_change"),
    path("infopunt/", views.desk, name="desk"),
    path("infopunt/bewoner/", views.desk_register, name="desk_register"),
    path("infopunt/aanvraag/", views.desk_apply, name="desk_apply"),
    path("infopunt/stem/<int:pk>/", views.desk_ballot, name="desk_ballot"),
]
