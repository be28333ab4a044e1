from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.permissions import AllowAny
from rest_framework.routers import APIRootView, DefaultRouter

from . import views
from .banking import views as banking
from .community import views as community
from .grants import views as grants
from .ledger import views as ledger
from .voting import views as voting


class PublicRoot(APIRootView):
    """The API's resources, listed to anyone (each says who may use it)."""

    permission_classes = [AllowAny]


class Router(DefaultRouter):
    APIRootView = PublicRoot


router = Router()
router.register("wijken", community.WijkViewSet, basename="wijk")
router.register("neighbourhoods", community.NeighbourhoodViewSet, basename="neighbourhood")
router.register("cooperatives", community.CooperativeViewSet, basename="cooperative")
router.register(
    "member-organisations", community.MemberOrganisationViewSet, basename="member-organisation"
)
router.register("funds", grants.FundViewSet, basename="fund")
router.register("priorities", grants.PriorityViewSet, basename="priority")
router.register("applications", grants.ApplicationViewSet, basename="application")
router.register("topups", grants.TopUpViewSet, basename="topup")
router.register("rounds", grants.RoundViewSet, basename="round")
router.register("interests", grants.InterestViewSet, basename="interest")
router.register("payouts", grants.PayoutViewSet, basename="payout")
router.register("bank/statements", banking.StatementViewSet, basename="bank-statement")
router.register("bank/lines", banking.BankLineViewSet, basename="bank-line")

urlpatterns = [
    path("auth/token/", community.TokenView.as_view(), name="auth-token"),
    path("auth/register/", community.RegisterView.as_view(), name="auth-register"),
    path("auth/logout/", community.LogoutView.as_view(), name="auth-logout"),
    path("auth/logout-all/", community.LogoutAllView.as_view(), name="auth-logout-all"),
    path("auth/me/", community.MeView.as_view(), name="auth-me"),
    path("residents/", community.ResidentListView.as_view(), name="residents"),
    path("residents/me/", community.ResidencySettingsView.as_view(), name="residents-me"),
    path("residents/verify/", community.VerifyResidencyView.as_view(), name="residents-verify"),
    path("voting-codes/", community.ResidenceCodeListView.as_view(), name="voting-codes"),
    path("health/", views.health, name="health"),
    path("stripe/webhook/", grants.StripeWebhookView.as_view(), name="stripe-webhook"),
    path("pabulib/select/", grants.PabulibSelectView.as_view(), name="pabulib-select"),
    path("ledger/accounts/", ledger.AccountList.as_view(), name="ledger-accounts"),
    path("ledger/entries/", ledger.EntryList.as_view(), name="ledger-entries"),
    path("ledger/trial-balance/", ledger.TrialBalanceView.as_view(), name="ledger-trial-balance"),
    path("ledger/income-statement/", ledger.IncomeStatementView.as_view(), name="ledger-income"),
    path("ledger/balance-sheet/", ledger.BalanceSheetView.as_view(), name="ledger-balance-sheet"),
    path("ledger/own-contribution/", ledger.OwnContributionView.as_view(), name="ledger-own"),
    path("ledger/export/", ledger.ExportView.as_view(), name="ledger-export"),
    path("ledger/periods/close/", ledger.PeriodCloseView.as_view(), name="ledger-period-close"),
    path("applications/<int:pk>/vote/", voting.VoteView.as_view(), name="application-vote"),
    path(
        "applications/<int:pk>/assisted-votes/",
        voting.AssistedVoteView.as_view(),
        name="application-assisted-vote",
    ),
    path("votes/receipts/check/", voting.ReceiptCheckView.as_view(), name="vote-receipt-check"),
    path("funds/<int:pk>/decisions/", voting.FundDecisionList.as_view(), name="fund-decisions"),
    path("bank/reconciliation/", banking.ReconciliationView.as_view(), name="bank-reconciliation"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path("", include(router.urls)),
]
