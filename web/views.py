"""The residents' pages: thin views on the same services and selectors as the API (never
through HTTP to our own API). Every page works without JavaScript."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth import login, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from backend.errors import DomainError
from community import services as community_services
from community.models import Membership, Neighbourhood, Residency, User, Wijk
from community.selectors import current_residency, neighbourhoods_for_role
from grants import rounds
from grants import services as grant_services
from grants.coverage import GRANTED, buurtfonds_coverage
from grants.models import Application, Fund, Round, TopUp
from grants.selectors import visible_applications
from ledger.selectors import earmark_balance, earmark_repayment, pot_balance
from voting import services as voting_services
from voting.models import Participation
from voting.selectors import shown_tally

from .forms import (
    ApplicationForm,
    CodeForm,
    DeskResidentForm,
    OwnPasswordForm,
    PaperApplicationForm,
    PaperBallotForm,
    ReceiptForm,
    ReportForm,
    SignupForm,
    VoteForm,
)

BUURT_COOKIE = "buurt"
SLUG = re.compile(r"[-a-zA-Z0-9_]{1,100}")
DECIDED = (
    Application.Status.APPROVED,
    Application.Status.REJECTED,
    Application.Status.PAID,
    Application.Status.REPORTED,
    Application.Status.CLOSED,
    Application.Status.CANCELLED,
)


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _refusal(error: DomainError) -> str:
    return str(error.message)


def home(request: HttpRequest) -> HttpResponse:
    """Choose your buurt; the choice is remembered, and the next visit opens its page."""
    slug = request.COOKIES.get(BUURT_COOKIE, "")
    remembered = bool(SLUG.fullmatch(slug)) and Neighbourhood.objects.filter(slug=slug).exists()
    if "kies" not in request.GET and remembered:
        return redirect("web:buurt", slug=slug)
    wijken = Wijk.objects.prefetch_related("neighbourhoods").order_by("name")
    return render(request, "web/home.html", {"wijken": wijken})


def _applications(request: HttpRequest) -> QuerySet[Application]:
    voting_services.settle_on_read()
    return visible_applications(user=request.user).select_related("fund")


def buurt(request: HttpRequest, slug: str) -> HttpResponse:
    """A buurt: its fund's money, open votes, recent decisions, and its top priorities."""
    neighbourhood = get_object_or_404(Neighbourhood.objects.select_related("wijk"), slug=slug)
    applications = _applications(request)
    year = timezone.localdate().year
    funds = []
    for fund in Fund.objects.filter(kind=Fund.Kind.BUURTFONDS, neighbourhood=neighbourhood):
        decided = list(
            applications.filter(fund=fund, status__in=DECIDED, decided_at__isnull=False).order_by(
                "-decided_at"
            )[:10]
        )
        funds.append(
            {
                "fund": fund,
                "balance": pot_balance(fund.earmark),
                "open": applications.filter(fund=fund, status=Application.Status.VOTING).order_by(
                    "vote_closes_at"
                ),
                "decided": [(a, shown_tally(a)) for a in decided],
                "coverage": buurtfonds_coverage(fund=fund, year=year),
            }
        )
    response = render(
        request,
        "web/buurt.html",
        {"neighbourhood": neighbourhood, "funds": funds, "year": year},
    )
    response.set_cookie(
        BUURT_COOKIE,
        neighbourhood.slug,
        max_age=int(timedelta(days=365).total_seconds()),
        samesite="Lax",
        httponly=True,
        secure=request.is_secure(),
    )
    return response


def _application_page(
    request: HttpRequest, application: Application, **extra: Any
) -> dict[str, Any]:
    user = request.user
    voted = (
        user.is_authenticated
        and Participation.objects.filter(application=application, voter=user).exists()
    )
    own = user.is_authenticated and grant_services.is_applicant(_user(request), application)
    topups = application.topups.filter(status=TopUp.Status.SUCCEEDED).order_by("-created_at")
    return {
        "application": application,
        "tally": shown_tally(application),
        "balance": earmark_balance(application.earmark)
        if application.decided_at is not None
        else None,
        "repayment": earmark_repayment(application.earmark),
        "topups": topups,
        "history": application.history.order_by("created_at", "pk"),
        "has_voted": voted,
        "own": own,
        "vote_open": application.status == Application.Status.VOTING
        and application.vote_closes_at is not None
        and timezone.now() < application.vote_closes_at,
        "vote_form": VoteForm(),
        **extra,
    }


def application(request: HttpRequest, pk: int) -> HttpResponse:
    """One application: the plan, the vote (and your vote), the decision and the money."""
    found = get_object_or_404(_applications(request), pk=pk)
    return render(request, "web/application.html", _application_page(request, found))


@require_POST
@login_required
def vote(request: HttpRequest, pk: int) -> HttpResponse:
    """Vote yes or no; voting again changes your vote. The receipt is shown on this page
    once and kept nowhere (not in the session)."""
    found = get_object_or_404(_applications(request), pk=pk)
    form = VoteForm(request.POST)
    if not form.is_valid():
        context = _application_page(request, found, vote_form=form)
        return render(request, "web/application.html", context, status=400)
    try:
        cast = voting_services.ballot_cast(
            application_id=found.pk, voter=_user(request), choice=form.cleaned_data["choice"]
        )
    except DomainError as error:
        context = _application_page(request, found, vote_error=_refusal(error))
        return render(request, "web/application.html", context, status=error.status_code)
    response = render(
        request,
        "web/voted.html",
        {"application": found, "receipt": cast.receipt, "changed": not cast.created},
        status=201 if cast.created else 200,
    )
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "POST"])
def receipt(request: HttpRequest) -> HttpResponse:
    """Check a receipt: is the ballot counted? The choice only to the voter, logged in."""
    form = ReceiptForm(request.POST or None)
    result = None
    if request.method == "POST" and form.is_valid():
        result = voting_services.receipt_check(
            receipt=form.cleaned_data["receipt"].strip(), viewer=request.user
        )
    response = render(request, "web/receipt.html", {"form": form, "result": result})
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = community_services.user_register(**form.cleaned_data)
        except ValidationError as error:
            form.add_error("password", error)
        except DomainError as error:
            form.add_error("username", _refusal(error))
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Welcome! Now enter the code from your letter."))
            return redirect("web:code")
    return render(request, "web/signup.html", {"form": form}, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def code(request: HttpRequest) -> HttpResponse:
    """Redeem the residence code from the letter: you become a resident who may vote."""
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            residency = community_services.residency_verify(
                user=_user(request), code=form.cleaned_data["code"].strip()
            )
        except DomainError as error:
            form.add_error("code", _refusal(error))
        else:
            messages.success(
                request,
                _("You are now a resident of %(buurt)s and may vote there.")
                % {"buurt": residency.neighbourhood.name},
            )
            return redirect("web:buurt", slug=residency.neighbourhood.slug)
    context = {"form": form, "residency": current_residency(user=_user(request))}
    return render(request, "web/code.html", context, status=400 if form.errors else 200)


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    """Your applications, drafts included, with where each one stands."""
    user = _user(request)
    own = (
        visible_applications(user=user)
        .filter(applicant=user)
        .select_related("fund")
        .order_by("-created_at")
    )
    return render(request, "web/mine.html", {"applications": own})


def _whole_number(raw: str | None) -> int:
    """A positive id from a query parameter; anything else names nothing (404)."""
    if raw is None or not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        raise Http404()
    return int(raw)


def _fund_for_new(request: HttpRequest) -> Fund:
    return get_object_or_404(
        Fund, pk=_whole_number(request.GET.get("fonds")), kind=Fund.Kind.BUURTFONDS
    )


def _application_fields(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "title": data["title"],
        "summary": data["summary"],
        "amount_requested_cents": data["amount_requested"],
        "total_budget_cents": data["total_budget"],
        "own_contribution_cents": data["own_contribution"],
    }


def _draft_page(
    request: HttpRequest, form: ApplicationForm, fund: Fund, *, template: str, saved: str
) -> HttpResponse:
    """Save a new draft from the form (a paper one names the resident it is for), then on
    to its page where the rules are checked; or the form again with what is wrong."""
    if request.method == "POST" and form.is_valid():
        paper = form.cleaned_data.get("paper_applicant_name", "")
        try:
            created = grant_services.application_create(
                fund=fund,
                acting_user=_user(request),
                priorities=form.cleaned_data.get("priorities", []),
                payee_name=form.cleaned_data["payee_name"],
                payee_iban=form.cleaned_data["payee_iban"],
                paper_applicant_name=paper,
                **_application_fields(form.cleaned_data),
            )
        except DomainError as error:
            form.add_error(None, _refusal(error))
        else:
            messages.success(request, saved)
            return redirect("web:edit", pk=created.pk)
    context = {"form": form, "fund": fund}
    return render(request, template, context, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def apply(request: HttpRequest) -> HttpResponse:
    """A new plan, saved as a draft; the rules are checked on the next page."""
    fund = _fund_for_new(request)
    form = ApplicationForm(request.POST or None, fund=fund)
    saved = _("Your draft is saved. Check it and send it in.")
    return _draft_page(request, form, fund, template="web/apply.html", saved=saved)


def _own_draft(request: HttpRequest, pk: int) -> Application:
    """The caller's own application (anyone else's answers as one that does not exist)."""
    found = get_object_or_404(_applications(request), pk=pk)
    if not grant_services.is_applicant(_user(request), found):
        raise Http404()
    return found


@login_required
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Correct a draft, see every rule at once, and send it in."""
    found = _own_draft(request, pk)
    initial = {
        "title": found.title,
        "summary": found.summary,
        "amount_requested": Decimal(found.amount_requested_cents).scaleb(-2),
        "total_budget": Decimal(found.total_budget_cents).scaleb(-2),
        "own_contribution": Decimal(found.own_contribution_cents).scaleb(-2),
        "priorities": list(found.priorities.all()),
        "payee_name": found.payee_name,
        "payee_iban": found.payee_iban,
    }
    form = ApplicationForm(request.POST or None, fund=found.fund, initial=initial)
    if found.status != Application.Status.DRAFT:
        return redirect("web:application", pk=found.pk)
    if request.method == "POST" and form.is_valid():
        try:
            found = grant_services.application_update(
                application=found,
                acting_user=_user(request),
                priorities=form.cleaned_data.get("priorities"),
                **_application_fields(form.cleaned_data),
            )
            payee = (form.cleaned_data["payee_name"], form.cleaned_data["payee_iban"])
            if payee != (found.payee_name, found.payee_iban):
                found = grant_services.application_payee_change(
                    application=found,
                    acting_user=_user(request),
                    payee_name=payee[0],
                    payee_iban=payee[1],
                )
        except DomainError as error:
            form.add_error(None, _refusal(error))
        else:
            messages.success(request, _("Your changes are saved."))
            return redirect("web:edit", pk=found.pk)
    context = {
        "form": form,
        "application": found,
        "fund": found.fund,
        "checks": grant_services.submission_checks(found),
    }
    return render(request, "web/edit.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def submit(request: HttpRequest, pk: int) -> HttpResponse:
    found = _own_draft(request, pk)
    try:
        voting_services.vote_open(application=found, acting_user=_user(request))
    except DomainError as error:
        messages.error(request, _refusal(error))
        return HttpResponseRedirect(reverse("web:edit", args=[found.pk]))
    messages.success(request, _("Sent in. Your neighbours can vote now."))
    return redirect("web:application", pk=found.pk)


@login_required
@require_POST
def withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    found = _own_draft(request, pk)
    try:
        grant_services.application_withdraw(application=found, acting_user=_user(request))
    except DomainError as error:
        messages.error(request, _refusal(error))
    else:
        messages.success(request, _("Your application is withdrawn."))
    return redirect("web:mine")


def accessibility(request: HttpRequest) -> HttpResponse:
    return render(request, "web/accessibility.html")


@require_POST
def own_contribution(request: HttpRequest) -> HttpResponse:
    """As you type (htmx): is the own contribution enough for the budget? Without
    JavaScript the same rule shows on the draft's page after saving."""
    fund = _fund_for_new(request)
    form = ApplicationForm(request.POST, fund=fund)
    form.is_valid()
    total = form.cleaned_data.get("total_budget")
    own = form.cleaned_data.get("own_contribution")
    needed = (
        grant_services.own_contribution_needed_cents(fund=fund, total_budget_cents=total)
        if total is not None
        else None
    )
    context = {"needed": needed, "enough": own is not None and needed is not None and own >= needed}
    return render(request, "web/own_contribution.html", context)


# -- the information point: a coordinator helps a resident who is present ---------------------


def _coordinated(request: HttpRequest) -> QuerySet[Neighbourhood]:
    buurten = neighbourhoods_for_role(user=_user(request), role=Membership.Role.COORDINATOR)
    if not buurten.exists():
        raise PermissionDenied
    return buurten.order_by("name")


@login_required
def desk(request: HttpRequest) -> HttpResponse:
    """The information point: register a resident, enter a paper application or ballot."""
    buurten = _coordinated(request)
    voting = (
        _applications(request)
        .filter(status=Application.Status.VOTING, fund__neighbourhood__in=buurten)
        .order_by("vote_closes_at")
    )
    funds = Fund.objects.filter(kind=Fund.Kind.BUURTFONDS, neighbourhood__in=buurten)
    return render(request, "web/desk.html", {"buurten": buurten, "voting": voting, "funds": funds})


@login_required
@require_http_methods(["GET", "POST"])
def desk_register(request: HttpRequest) -> HttpResponse:
    """Register a resident who has no account; the answer is the sheet to print, shown once."""
    form = DeskResidentForm(request.POST or None, buurten=_coordinated(request))
    if request.method == "POST" and form.is_valid():
        try:
            registered = community_services.resident_register_at_desk(
                coordinator=_user(request),
                neighbourhood=form.cleaned_data["neighbourhood"],
                first_name=form.cleaned_data["first_name"],
                last_name=form.cleaned_data["last_name"],
                code=form.cleaned_data["code"].strip(),
            )
        except DomainError as error:
            form.add_error("code", _refusal(error))
        else:
            response = render(
                request,
                "web/desk_sheet.html",
                {
                    "resident": registered.user,
                    "password": registered.password,
                    "neighbourhood": form.cleaned_data["neighbourhood"],
                    "site": request.build_absolute_uri("/"),
                },
                status=201,
            )
            response["Cache-Control"] = "no-store"
            return response
    return render(
        request, "web/desk_register.html", {"form": form}, status=400 if form.errors else 200
    )


@login_required
@require_http_methods(["GET", "POST"])
def desk_ballot(request: HttpRequest, pk: int) -> HttpResponse:
    """Enter a paper ballot for a resident of the buurt (found by name), or correct it by
    its form number."""
    buurten = _coordinated(request)
    found = get_object_or_404(_applications(request), pk=pk, fund__neighbourhood__in=buurten)
    search = request.GET.get("zoek", "").replace("\x00", "").strip()[:100]
    residents = Residency.objects.filter(
        ended_at__isnull=True, neighbourhood__funds=found.fund
    ).select_related("user")
    if search:
        residents = residents.filter(
            Q(user__username__icontains=search)
            | Q(user__first_name__icontains=search)
            | Q(user__last_name__icontains=search)
        )
    choices = [
        (r.user_id, f"{r.user.get_full_name() or r.user.username} ({r.user.username})")
        for r in residents.order_by("user__last_name", "user__username")[:20]
    ]
    form = PaperBallotForm(request.POST or None, residents=choices)
    if request.method == "POST" and form.is_valid():
        try:
            voting_services.paper_ballot_record(
                application_id=found.pk,
                coordinator=_user(request),
                resident_id=form.cleaned_data["resident"],
                choice=form.cleaned_data["choice"],
                form_number=form.cleaned_data["form_number"],
            )
        except DomainError as error:
            form.add_error(None, _refusal(error))
        else:
            messages.success(request, _("The paper ballot is recorded."))
            return redirect("web:desk")
    context = {"form": form, "application": found, "search": search}
    return render(request, "web/desk_ballot.html", context, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def desk_apply(request: HttpRequest) -> HttpResponse:
    """Enter a resident's paper application; the coordinator then sends it in for them."""
    buurten = _coordinated(request)
    fund = get_object_or_404(
        Fund, pk=_whole_number(request.GET.get("fonds")), kind=Fund.Kind.BUURTFONDS,
        neighbourhood__in=buurten,
    )  # fmt: skip
    form = PaperApplicationForm(request.POST or None, fund=fund)
    saved = _("The paper application is saved as a draft.")
    return _draft_page(request, form, fund, template="web/desk_apply.html", saved=saved)


@login_required
@require_http_methods(["GET", "POST"])
def password_change(request: HttpRequest) -> HttpResponse:
    """Choose a new password (required after a printed one-time password)."""
    form = OwnPasswordForm(_user(request), request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        community_services.password_changed(user=user)
        update_session_auth_hash(request, user)
        messages.success(request, _("Your new password is saved."))
        return redirect("web:home")
    return render(
        request, "web/password_change.html", {"form": form}, status=400 if form.errors else 200
    )


# -- public results ------------------------------------------------------------------------------


def round_results(request: HttpRequest, pk: int) -> HttpResponse:
    """An innovation round's published result: what was chosen, how it scored, the member
    organisations' ballots, the coverage of the top priorities, who decided, the recusals."""
    found = get_object_or_404(Round.objects.select_related("fund", "decided_by"), pk=pk)
    result = rounds.round_result(found)
    return render(request, "web/round_results.html", {"round": found, "result": result})


def year_results(request: HttpRequest, slug: str, year: int) -> HttpResponse:
    """A Buurtfonds year: every decision with its tally, the money granted, and how far the
    grants cover the buurt's top priorities."""
    neighbourhood = get_object_or_404(Neighbourhood, slug=slug)
    if not 2000 <= year <= 2200:
        raise Http404()
    funds = []
    for fund in Fund.objects.filter(kind=Fund.Kind.BUURTFONDS, neighbourhood=neighbourhood):
        decided = list(
            _applications(request)
            .filter(fund=fund, decided_at__year=year)
            .order_by("decided_at", "pk")
        )
        granted = [a for a in decided if a.status in GRANTED]
        funds.append(
            {
                "fund": fund,
                "decided": [(a, shown_tally(a)) for a in decided],
                "granted_cents": sum(a.amount_requested_cents for a in granted),
                "coverage": buurtfonds_coverage(fund=fund, year=year),
            }
        )
    context = {"neighbourhood": neighbourhood, "year": year, "funds": funds}
    return render(request, "web/year_results.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def report(request: HttpRequest, pk: int) -> HttpResponse:
    """The applicant reports what was done and spent, with receipts; unspent money is owed."""
    found = _own_draft(request, pk)
    if found.status != Application.Status.PAID:
        return redirect("web:application", pk=found.pk)
    try:
        grant_services.report_upload_check(
            application=found,
            acting_user=_user(request),
            content_length=request.META.get("CONTENT_LENGTH") or 0,
        )
    except DomainError as error:
        return HttpResponse(_refusal(error), status=error.status_code, content_type="text/plain")
    form = ReportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            grant_services.application_report(
                application=found,
                acting_user=_user(request),
                summary=form.cleaned_data["summary"],
                spent_cents=form.cleaned_data["spent"],
                receipts=form.cleaned_data["receipts"],
            )
        except DomainError as error:
            form.add_error(None, _refusal(error))
        else:
            messages.success(request, _("Thank you for your report."))
            return redirect("web:application", pk=found.pk)
    context = {"form": form, "application": found}
    return render(request, "web/report.html", context, status=400 if form.errors else 200)
