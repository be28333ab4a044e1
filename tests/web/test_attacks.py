"""Attacks on the residents' pages (web/): an anonymous visitor, another resident, an
applicant, a coordinator of another buurt, and whoever reads the HTML, caches or logs.

Attacks that hold are plain tests asserting the refusal. The real findings were
fixed since; each ``test_finding_*`` fails on the code before its fix."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import SESSION_KEY
from django.test import Client

from community.models import Residency, User
from grants.models import Application
from tests.community.factories import UserFactory
from tests.grants.factories import (
    advance,
    coordinator_of,
    make_application,
    make_fund,
    resident_of,
)
from tests.web.test_pages import logged_in, text

pytestmark = pytest.mark.django_db

XSS = '"><script>alert(1)</script><b onmouseover="x">'
SHEET = re.compile(r"<code>([a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4})</code>")


@pytest.fixture
def fund(coop_a, rivierenwijk):
    return make_fund(coop_a, rivierenwijk, vote_window_minutes=120)


@pytest.fixture
def other_fund(coop_b, lunetten):
    return make_fund(coop_b, lunetten, vote_window_minutes=120)


def csrf_client(user=None) -> Client:
    client = Client(enforce_csrf_checks=True)
    if user is not None:
        client.force_login(user)
    return client


def register_at_desk(fund, **fields):
    desk = logged_in(coordinator_of(fund.cooperative))
    data = {"first_name": "Ans", "last_name": "de Vries", "neighbourhood": fund.neighbourhood.pk,
            "code": "", "seen_proof": "on", **fields}  # fmt: skip
    sheet = desk.post("/infopunt/bewoner/", data)
    assert sheet.status_code == 201
    body = sheet.content.decode()
    username = re.search(r"<code>([a-z0-9]+)</code>", body).group(1)
    return username, SHEET.search(body).group(1)


def login_with_sheet(username, password) -> Client:
    client = Client()
    assert (
        client.post("/inloggen/", {"username": username, "password": password}).status_code == 302
    )
    return client


# -- drafts: another resident, a coordinator elsewhere, anonymous --------------------------------


def test_another_residents_draft_answers_as_unknown_everywhere(fund, other_fund):
    owner = resident_of(fund)
    draft = make_application(fund, applicant=owner, title="Geheim plan")
    missing = 10**6
    outsiders = [
        logged_in(resident_of(fund)),  # neighbour in the same buurt
        logged_in(coordinator_of(other_fund.cooperative)),  # coordinator of another coop
        logged_in(resident_of(other_fund)),
    ]
    for client in outsiders:
        for url in (f"/aanvraag/{draft.pk}/", f"/aanvraag/{draft.pk}/bewerken/"):
            answer = client.get(url)
            assert answer.status_code == 404 and "Geheim plan" not in text(answer)
            # the same as an application that does not exist: no existence oracle
            assert client.get(url.replace(str(draft.pk), str(missing))).status_code == 404
        for action in ("insturen", "intrekken", "stem"):
            answer = client.post(f"/aanvraag/{draft.pk}/{action}/", {"choice": "yes"})
            assert answer.status_code == 404, action
        edited = client.post(
            f"/aanvraag/{draft.pk}/bewerken/",
            {"title": "Overgenomen", "summary": "x", "amount_requested": "1",
             "total_budget": "1", "own_contribution": "1"},
        )  # fmt: skip
        assert edited.status_code == 404
        assert "Geheim plan" not in text(client.get("/mijn-aanvragen/"))
        assert "Geheim plan" not in text(client.get(f"/buurt/{fund.neighbourhood.slug}/"))
    anonymous = Client()
    assert anonymous.get(f"/aanvraag/{draft.pk}/").status_code == 404
    for action in ("bewerken", "insturen", "intrekken", "stem"):
        answer = anonymous.post(f"/aanvraag/{draft.pk}/{action}/", {"choice": "yes"})
        assert answer.status_code == 302 and answer["Location"].startswith("/inloggen/")
    draft.refresh_from_db()
    assert (draft.status, draft.title) == ("draft", "Geheim plan")


def test_a_submitted_application_cannot_be_edited_or_withdrawn_by_a_neighbour(fund):
    application = advance(make_application(fund, title="Bankjes"), "voting")
    neighbour = logged_in(resident_of(fund))
    assert neighbour.get(f"/aanvraag/{application.pk}/").status_code == 200
    assert neighbour.get(f"/aanvraag/{application.pk}/bewerken/").status_code == 404
    assert neighbour.post(f"/aanvraag/{application.pk}/intrekken/").status_code == 404
    assert Application.objects.get(pk=application.pk).status == "voting"


# -- the vote: secrecy of who voted and how ------------------------------------------------------


def test_whether_someone_voted_and_their_receipt_stay_with_them(fund):
    application = advance(make_application(fund), "voting")
    voter, neighbour = resident_of(fund), resident_of(fund)
    client = logged_in(voter)
    voted = client.post(f"/aanvraag/{application.pk}/stem/", {"choice": "yes"})
    assert voted.status_code == 201 and voted["Cache-Control"] == "no-store"
    receipt = re.search(r'bf-receipt"><code>([^<]+)</code>', voted.content.decode()).group(1)

    # kept nowhere: not in the session, not in a cookie, not on the next pages
    session = client.session
    assert all(receipt not in str(value) for value in session.values())
    assert all(receipt not in morsel.value for morsel in client.cookies.values())
    assert receipt not in client.get(f"/aanvraag/{application.pk}/").content.decode()
    assert receipt not in client.get("/mijn-aanvragen/").content.decode()

    # the neighbour and anonymous visitors do not learn that they voted
    for other in (logged_in(neighbour), Client()):
        page = other.get(f"/aanvraag/{application.pk}/")
        assert page.context["has_voted"] is False
        assert "U heeft gestemd" not in text(page)

    # someone else's receipt: unknown to a logged-in neighbour; counted, no choice, anonymous
    foreign = text(logged_in(neighbour).post("/bon/", {"receipt": receipt}))
    assert "Deze stem is geteld" not in foreign
    anonymous = Client().post("/bon/", {"receipt": receipt})
    assert anonymous["Cache-Control"] == "no-store"
    assert "voor gestemd" not in text(anonymous) and "tegen gestemd" not in text(anonymous)
    assert anonymous.context["result"].choice is None

    # voting again gives no new receipt and does not need the old one
    again = client.post(f"/aanvraag/{application.pk}/stem/", {"choice": "no"})
    assert again.status_code == 200 and "bf-receipt" not in again.content.decode()


def test_a_resident_of_another_buurt_cannot_vote(fund, other_fund):
    application = advance(make_application(fund), "voting")
    outsider = logged_in(resident_of(other_fund))
    answer = outsider.post(f"/aanvraag/{application.pk}/stem/", {"choice": "yes"})
    assert answer.status_code in (403, 409, 400)
    assert "bf-receipt" not in answer.content.decode()


def test_the_vote_form_refuses_garbage_choices(fund):
    application = advance(make_application(fund), "voting")
    client = logged_in(resident_of(fund))
    for choice in ("maybe", "", "yes\x00", "y" * 10_000):
        answer = client.post(f"/aanvraag/{application.pk}/stem/", {"choice": choice})
        assert answer.status_code == 400, choice
    assert client.get(f"/aanvraag/{application.pk}/stem/").status_code == 405


# -- CSRF on every form that posts ---------------------------------------------------------------


def test_every_post_needs_the_csrf_token(fund):
    resident = resident_of(fund)
    coordinator = coordinator_of(fund.cooperative)
    voting = advance(make_application(fund), "voting")
    draft = make_application(fund, applicant=resident)
    as_resident = [
        (f"/aanvraag/{voting.pk}/stem/", {"choice": "yes"}),
        (f"/aanvraag/{draft.pk}/bewerken/", {"title": "x"}),
        (f"/aanvraag/{draft.pk}/insturen/", {}),
        (f"/aanvraag/{draft.pk}/intrekken/", {}),
        (f"/aanvragen/nieuw/?fonds={fund.pk}", {"title": "x"}),
        (f"/aanvragen/eigen-bijdrage/?fonds={fund.pk}", {"total_budget": "1"}),
        ("/code/", {"code": "x"}),
        ("/wachtwoord-wijzigen/", {"new_password1": "x", "new_password2": "x"}),
        ("/uitloggen/", {}),
        ("/i18n/setlang/", {"language": "en"}),
        ("/bon/", {"receipt": "x"}),
    ]
    for url, data in as_resident:
        assert csrf_client(resident).post(url, data).status_code == 403, url
    as_coordinator = [
        ("/infopunt/bewoner/", {"first_name": "A", "last_name": "B"}),
        (f"/infopunt/aanvraag/?fonds={fund.pk}", {"title": "x"}),
        (f"/infopunt/stem/{voting.pk}/", {"choice": "yes"}),
    ]
    for url, data in as_coordinator:
        assert csrf_client(coordinator).post(url, data).status_code == 403, url
    for url, data in [("/inloggen/", {"username": "a", "password": "b"}),
                      ("/aanmelden/", {"username": "a"}), ("/wachtwoord/", {"email": "a@b.nl"})]:  # fmt: skip
        assert csrf_client().post(url, data).status_code == 403, url
    assert Application.objects.get(pk=draft.pk).status == "draft"


def test_the_htmx_csrf_header_is_a_plain_token_in_valid_json(fund):
    page = Client().get("/toegankelijkheid/").content.decode()
    match = re.search(r"hx-headers='(\{[^']*\})'", page)
    import json

    header = json.loads(match.group(1))
    assert re.fullmatch(r"[A-Za-z0-9]{32,64}", header["X-CSRFToken"])


def test_logout_by_get_is_refused(fund):
    client = logged_in(resident_of(fund))
    assert client.get("/uitloggen/").status_code == 405
    assert SESSION_KEY in client.session


# -- open redirects ------------------------------------------------------------------------------

EVIL = [
    "https://evil.example/",
    "//evil.example/",
    "/\\evil.example/",
    "\\\\evil.example",
    "https:evil.example",
    "javascript:alert(1)",
    " https://evil.example/",
    "http://testserver@evil.example/",
]


def test_login_next_does_not_leave_the_site(fund):
    user = UserFactory(username="piet")
    user.set_password("een-lang-wachtwoord-9")
    user.save()
    for target in EVIL:
        client = Client()
        answer = client.post(
            "/inloggen/", {"username": "piet", "password": "een-lang-wachtwoord-9", "next": target}
        )
        assert answer.status_code == 302
        assert answer["Location"] == "/", target


def test_the_language_switch_does_not_leave_the_site(fund):
    for target in EVIL:
        answer = Client().post("/i18n/setlang/", {"language": "en", "next": target})
        assert answer.status_code == 302
        location = answer["Location"]
        assert "evil" not in location and not location.startswith("javascript"), target
        header = Client().post("/i18n/setlang/", {"language": "en"}, headers={"referer": target})
        assert "evil" not in header.get("Location", ""), target


def test_logout_next_does_not_leave_the_site(fund):
    for target in EVIL:
        client = logged_in(resident_of(fund))
        answer = client.post(f"/uitloggen/?next={target}")
        assert "evil" not in answer.get("Location", ""), target


# -- XSS: every resident-typed text comes out escaped ---------------------------------------------


def assert_escaped(body: str) -> None:
    assert "<script>alert(1)" not in body
    assert '<b onmouseover="x">' not in body and 'onmouseover="x"' not in body


def test_titles_summaries_and_names_are_escaped_on_every_page(fund):
    applicant = resident_of(fund)
    applicant.first_name, applicant.last_name = XSS, XSS
    applicant.save()
    client = logged_in(applicant)
    form = {"title": XSS, "summary": XSS + "\n" + XSS, "amount_requested": "300",
            "total_budget": "400", "own_contribution": "20", "payee_name": XSS,
            "payee_iban": XSS[:40]}  # fmt: skip
    saved = client.post(f"/aanvragen/nieuw/?fonds={fund.pk}", form)
    assert_escaped(saved.content.decode())
    draft = Application.objects.filter(applicant=applicant).first()
    if draft is None:  # the IBAN was refused: save without it
        client.post(f"/aanvragen/nieuw/?fonds={fund.pk}", {**form, "payee_iban": ""})
        draft = Application.objects.get(applicant=applicant)
    for url in (f"/aanvraag/{draft.pk}/bewerken/", f"/aanvraag/{draft.pk}/", "/mijn-aanvragen/"):
        assert_escaped(client.get(url).content.decode())
    voting = advance(make_application(fund, title=XSS, summary=XSS, payee_name=XSS), "voting")
    voter = logged_in(resident_of(fund))
    for page in (
        voter.get(f"/aanvraag/{voting.pk}/"),
        voter.post(f"/aanvraag/{voting.pk}/stem/", {"choice": "yes"}),
        Client().get(f"/buurt/{fund.neighbourhood.slug}/"),
        logged_in(coordinator_of(fund.cooperative)).get("/infopunt/"),
        logged_in(coordinator_of(fund.cooperative)).get(f"/infopunt/stem/{voting.pk}/"),
    ):
        assert_escaped(page.content.decode())


def test_query_strings_and_form_echoes_are_escaped(fund):
    voting = advance(make_application(fund), "voting")
    evil_resident = resident_of(fund)
    evil_resident.first_name = XSS
    evil_resident.save()
    desk = logged_in(coordinator_of(fund.cooperative))
    pages = [
        desk.get(f"/infopunt/stem/{voting.pk}/", {"zoek": XSS}),
        desk.get(f"/infopunt/stem/{voting.pk}/", {"zoek": "script"}),  # the resident's name
        desk.post(f"/infopunt/stem/{voting.pk}/", {"resident": XSS, "form_number": XSS}),
        Client().get("/", {"kies": XSS, "x": XSS}),  # the language form's next=full path
        Client().post("/bon/", {"receipt": XSS}),
        Client().post("/aanmelden/", {"username": XSS, "email": XSS, "password": XSS}),
        Client().post("/inloggen/", {"username": XSS, "password": XSS}),
        Client().get("/inloggen/", {"next": XSS}),
        logged_in(resident_of(fund)).post("/code/", {"code": XSS}),
    ]
    for page in pages:
        assert page.status_code < 500
        assert_escaped(page.content.decode())


def test_a_desk_registered_name_is_escaped_on_the_sheet(fund):
    desk = logged_in(coordinator_of(fund.cooperative))
    sheet = desk.post(
        "/infopunt/bewoner/",
        {"first_name": XSS, "last_name": XSS, "neighbourhood": fund.neighbourhood.pk,
         "seen_proof": "on"},
    )  # fmt: skip
    assert sheet.status_code == 201
    assert_escaped(sheet.content.decode())


# -- the information point: a coordinator of another buurt -----------------------------------------


def test_a_coordinator_of_another_buurt_cannot_act_for_this_one(fund, other_fund):
    voting = advance(make_application(fund), "voting")
    resident = resident_of(fund)
    resident.first_name, resident.last_name = "Anneke", "Jansen"
    resident.save()
    stranger = logged_in(coordinator_of(other_fund.cooperative))

    registered = stranger.post(
        "/infopunt/bewoner/",
        {"first_name": "Ans", "last_name": "Indringer", "neighbourhood": fund.neighbourhood.pk,
         "seen_proof": "on"},
    )  # fmt: skip
    assert registered.status_code == 400
    assert not User.objects.filter(last_name="Indringer").exists()

    assert stranger.get(f"/infopunt/aanvraag/?fonds={fund.pk}").status_code == 404
    assert stranger.post(
        f"/infopunt/aanvraag/?fonds={fund.pk}",
        {"title": "x", "summary": "y", "amount_requested": "1", "total_budget": "1",
         "own_contribution": "1", "paper_applicant_name": "z"},
    ).status_code == 404  # fmt: skip

    ballot = stranger.get(f"/infopunt/stem/{voting.pk}/", {"zoek": "Jansen"})
    assert ballot.status_code == 404 and "Anneke" not in text(ballot)
    posted = stranger.post(
        f"/infopunt/stem/{voting.pk}/?zoek=Jansen",
        {"resident": resident.pk, "choice": "yes", "form_number": "P1"},
    )
    assert posted.status_code == 404
    from voting.models import Participation

    assert not Participation.objects.filter(application=voting).exists()


def test_the_ballot_search_lists_only_this_buurts_residents(fund, other_fund):
    """On a ballot page of their own buurt, a coordinator does not find (or record a ballot
    for) a resident of another buurt."""
    voting = advance(make_application(fund), "voting")
    outsider = resident_of(other_fund)
    outsider.first_name, outsider.last_name = "Bertus", "Buitenbuurt"
    outsider.save()
    desk = logged_in(coordinator_of(fund.cooperative))
    page = desk.get(f"/infopunt/stem/{voting.pk}/", {"zoek": "Buitenbuurt"})
    assert page.status_code == 200 and "Bertus" not in text(page)
    refused = desk.post(
        f"/infopunt/stem/{voting.pk}/?zoek=Buitenbuurt",
        {"resident": outsider.pk, "choice": "yes", "form_number": "P9"},
    )
    assert refused.status_code == 400


def test_a_resident_is_not_a_coordinator(fund):
    client = logged_in(resident_of(fund))
    voting = advance(make_application(fund), "voting")
    for url in ("/infopunt/", "/infopunt/bewoner/", f"/infopunt/aanvraag/?fonds={fund.pk}",
                f"/infopunt/stem/{voting.pk}/?zoek=a"):  # fmt: skip
        assert client.get(url).status_code == 403, url


# -- the one-time password -------------------------------------------------------------------------


def test_the_sheet_password_is_random_and_strong(fund):
    seen = {register_at_desk(fund, last_name=f"V{i}")[1] for i in range(5)}
    assert len(seen) == 5
    for password in seen:
        assert re.fullmatch(r"[a-km-np-z2-9]{4}-[a-km-np-z2-9]{4}-[a-km-np-z2-9]{4}", password)
    # 12 characters from 31: about 59 bits, and logins are throttled and locked out.


def test_before_the_change_every_page_sends_to_the_password_page(fund):
    username, password = register_at_desk(fund)
    client = login_with_sheet(username, password)
    voting = advance(make_application(fund), "voting")
    for url in ("/", "/mijn-aanvragen/", f"/aanvraag/{voting.pk}/", "/code/", "/bon/",
                f"/aanvragen/nieuw/?fonds={fund.pk}", "/infopunt/"):  # fmt: skip
        answer = client.get(url)
        assert answer.status_code == 302 and answer["Location"] == "/wachtwoord-wijzigen/", url
    voted = client.post(f"/aanvraag/{voting.pk}/stem/", {"choice": "yes"})
    assert voted["Location"] == "/wachtwoord-wijzigen/"
    # The admin too (closed to a resident anyway).
    assert client.get("/admin/")["Location"] == "/wachtwoord-wijzigen/"


def test_before_the_change_the_api_is_closed_to_the_session(fund):
    username, password = register_at_desk(fund)
    client = login_with_sheet(username, password)
    voting = advance(make_application(fund), "voting")
    me = client.get("/api/v1/auth/me/")
    vote = client.post(
        f"/api/v1/applications/{voting.pk}/vote/",
        {"choice": "yes"},
        content_type="application/json",
    )
    assert (me.status_code, vote.status_code) in {(401, 401), (403, 403), (401, 403), (403, 401)}


def test_changing_a_password_needs_the_current_one(fund):
    victim = resident_of(fund)
    victim.set_password("oud-geheim-wachtwoord-1")
    victim.save()
    client = logged_in(victim)  # a browser left logged in
    client.post(
        "/wachtwoord-wijzigen/",
        {"new_password1": "overgenomen-door-mij-2", "new_password2": "overgenomen-door-mij-2"},
    )
    victim.refresh_from_db()
    assert not victim.check_password("overgenomen-door-mij-2")


def test_the_new_password_cannot_be_the_sheet_password(fund):
    username, password = register_at_desk(fund)
    client = login_with_sheet(username, password)
    client.post("/wachtwoord-wijzigen/", {"new_password1": password, "new_password2": password})
    user = User.objects.get(username=username)
    old = Client().post("/inloggen/", {"username": username, "password": password})
    assert user.password_change_required or old.status_code == 200


def test_after_the_change_the_sheet_and_its_other_sessions_are_dead(fund):
    username, password = register_at_desk(fund)
    resident = login_with_sheet(username, password)
    bystander = login_with_sheet(username, password)  # e.g. the desk tried it first
    resident.post(
        "/wachtwoord-wijzigen/",
        {"old_password": password, "new_password1": "mijn-eigen-zin-77",
         "new_password2": "mijn-eigen-zin-77"},
    )  # fmt: skip
    assert resident.get("/mijn-aanvragen/").status_code == 200
    assert bystander.get("/mijn-aanvragen/")["Location"].startswith("/inloggen/")
    assert (
        Client().post("/inloggen/", {"username": username, "password": password}).status_code == 200
    )
    token = Client().post(
        "/api/v1/auth/token/", {"username": username, "password": password},
        content_type="application/json",
    )  # fmt: skip
    assert token.status_code in (400, 401, 403)


# -- bad input: 4xx or a form error, never 500 -------------------------------------------------------


def test_garbage_fund_ids_and_paths_answer_4xx(fund):
    client = logged_in(resident_of(fund))
    client.raise_request_exception = False
    desk = logged_in(coordinator_of(fund.cooperative))
    desk.raise_request_exception = False
    bad = ["abc", "99999999999999999999", "-1", "0", "1.5", "1e3", "%00", "\x00", "🙂", "1 OR 1=1",
           str(2**63), str(-(2**63) - 1), ""]  # fmt: skip
    for value in bad:
        for answer in (
            client.get("/aanvragen/nieuw/", {"fonds": value}),
            client.post(f"/aanvragen/eigen-bijdrage/?fonds={value}", {"total_budget": "1"}),
        ):
            assert 400 <= answer.status_code < 500, (value, answer.status_code)
    assert client.post("/aanvragen/eigen-bijdrage/", {}).status_code == 404
    for url in ("/buurt/bestaat-niet/", "/aanvraag/99999999999999999999/",
                "/aanvraag/99999999999999999999/bewerken/", "/aanvraag/0/",
                f"/infopunt/stem/{2**64}/"):  # fmt: skip
        answer = (desk if "infopunt" in url else client).get(url)
        assert answer.status_code == 404, url
    answer = client.post("/aanvraag/99999999999999999999/stem/", {"choice": "yes"})
    assert answer.status_code == 404


def test_garbage_fund_ids_on_the_paper_application_answer_4xx(fund):
    desk = logged_in(coordinator_of(fund.cooperative))
    desk.raise_request_exception = False
    for value in ("abc", "1.5", "\x00", "🙂"):
        answer = desk.get("/infopunt/aanvraag/", {"fonds": value})
        assert 400 <= answer.status_code < 500, (value, answer.status_code)


def test_garbage_in_every_form_is_a_form_error(fund):
    voting = advance(make_application(fund), "voting")
    resident = logged_in(resident_of(fund))
    resident.raise_request_exception = False
    desk = logged_in(coordinator_of(fund.cooperative))
    desk.raise_request_exception = False
    huge = "x" * 100_000
    for junk in (huge, "a\x00b", "\ud800" if False else "\u202e\u0000", "9" * 5000):
        answers = [
            resident.post(f"/aanvragen/nieuw/?fonds={fund.pk}",
                          {"title": junk, "summary": junk, "amount_requested": junk,
                           "total_budget": junk, "own_contribution": junk, "payee_name": junk,
                           "payee_iban": junk, "priorities": junk}),
            resident.post(f"/aanvragen/eigen-bijdrage/?fonds={fund.pk}",
                          {"total_budget": junk, "own_contribution": junk}),
            resident.post("/code/", {"code": junk}),
            resident.post("/bon/", {"receipt": junk}),
            resident.post("/wachtwoord-wijzigen/", {"new_password1": junk, "new_password2": junk}),
            Client().post("/aanmelden/", {"username": junk, "email": junk, "password": junk}),
            Client().post("/inloggen/", {"username": junk, "password": junk}),
            Client().post("/wachtwoord/", {"email": junk}),
            desk.post("/infopunt/bewoner/", {"first_name": junk, "last_name": junk,
                                            "neighbourhood": junk, "code": junk}),
            desk.post(f"/infopunt/aanvraag/?fonds={fund.pk}", {"title": junk,
                                                             "paper_applicant_name": junk}),
            desk.post(f"/infopunt/stem/{voting.pk}/", {"resident": junk, "choice": junk,
                                                       "form_number": junk}),
        ]  # fmt: skip
        for answer in answers:
            assert answer.status_code < 500, (junk[:10], answer.request["PATH_INFO"])


def test_the_ballot_search_survives_garbage_on_sqlite_and_postgres(fund):
    voting = advance(make_application(fund), "voting")
    desk = logged_in(coordinator_of(fund.cooperative))
    desk.raise_request_exception = False
    for search in ("x" * 100_000, "%", "_", "\\", "🙂", "' OR 1=1 --"):
        assert desk.get(f"/infopunt/stem/{voting.pk}/", {"zoek": search}).status_code == 200


@pytest.mark.postgres
def test_a_nul_byte_in_a_query_parameter_is_refused_not_a_crash(fund):
    voting = advance(make_application(fund), "voting")
    desk = logged_in(coordinator_of(fund.cooperative))
    desk.raise_request_exception = False
    assert desk.get(f"/infopunt/stem/{voting.pk}/", {"zoek": "a\x00b"}).status_code < 500
    client = Client(raise_request_exception=False)
    client.cookies["buurt"] = "a\x00b"
    assert client.get("/").status_code < 500


# -- amounts typed on the page ---------------------------------------------------------------------


def test_amounts_in_odd_notations_are_refused_or_exact(fund):
    client = logged_in(resident_of(fund))
    base = {"title": "Plan", "summary": "Iets", "amount_requested": "300", "total_budget": "400",
            "own_contribution": "20", "payee_name": "", "payee_iban": ""}  # fmt: skip
    refused = ["NaN", "Infinity", "-Infinity", "sNaN", "-1", "0,001", "1e999999", "1e-5",
               "1000000,01", "0x10", "+-1", "--1", "1.500,50"]  # fmt: skip
    for value in refused:
        answer = client.post(f"/aanvragen/nieuw/?fonds={fund.pk}",
                             {**base, "amount_requested": value})  # fmt: skip
        assert answer.status_code == 400, value
    assert not Application.objects.exists()
    for value in ("-0", "0"):  # not even one euro
        answer = client.post(f"/aanvragen/nieuw/?fonds={fund.pk}",
                             {**base, "amount_requested": value})  # fmt: skip
        assert answer.status_code == 400, value
    # Python's Decimal reads "1_000" and Arabic-Indic digits: exact, and within the bounds
    for value, cents in (("1_000", 100_000), ("٣٠٠", 30_000), ("1,5e2", 15_000)):
        client.post(f"/aanvragen/nieuw/?fonds={fund.pk}",
                    {**base, "title": value, "amount_requested": value})  # fmt: skip
        assert Application.objects.get(title=value).amount_requested_cents == cents
    Application.objects.all().delete()
    # an own contribution of minus zero is zero cents, not negative
    client.post(f"/aanvragen/nieuw/?fonds={fund.pk}", {**base, "own_contribution": "-0"})
    assert Application.objects.get().own_contribution_cents == 0


def test_a_huge_request_in_scientific_notation_cannot_be_sent_in(fund):
    """ "1e5" is read as 100000 euros: saved as a draft at most, never past the fund's maximum."""
    client = logged_in(resident_of(fund))
    form = {"title": "Plan", "summary": "Iets", "amount_requested": "1e5", "total_budget": "1,5e5",
            "own_contribution": "1e5", "payee_name": "", "payee_iban": ""}  # fmt: skip
    client.post(f"/aanvragen/nieuw/?fonds={fund.pk}", form)
    draft = Application.objects.filter(title="Plan").first()
    if draft is not None:
        assert draft.amount_requested_cents == 10_000_000  # exact, no float rounding
        client.post(f"/aanvraag/{draft.pk}/insturen/")
        assert Application.objects.get(pk=draft.pk).status == "draft"


def test_an_edit_cannot_move_a_draft_to_another_fund_or_change_a_sent_application(fund):
    applicant = resident_of(fund)
    client = logged_in(applicant)
    application = advance(make_application(fund, applicant=applicant, title="Oud"), "voting")
    answer = client.post(
        f"/aanvraag/{application.pk}/bewerken/",
        {"title": "Nieuw", "summary": "x", "amount_requested": "700", "total_budget": "700",
         "own_contribution": "35", "fund": "999"},
    )  # fmt: skip
    assert answer.status_code == 302
    application.refresh_from_db()
    assert application.title == "Oud" and application.amount_requested_cents == 40_000


def test_a_residency_registered_at_the_desk_is_in_the_coordinators_buurt_only(fund, other_fund):
    """A code from another buurt's letter does not register the resident there."""
    from community.services import residence_codes_issue

    code = residence_codes_issue(
        neighbourhood=other_fund.neighbourhood, count=1,
        acting_user=coordinator_of(other_fund.cooperative),
    ).codes[0]  # fmt: skip
    desk = logged_in(coordinator_of(fund.cooperative))
    answer = desk.post(
        "/infopunt/bewoner/",
        {"first_name": "Kees", "last_name": "Code", "neighbourhood": fund.neighbourhood.pk,
         "code": code},
    )  # fmt: skip
    assert answer.status_code == 400
    assert not User.objects.filter(last_name="Code").exists()
    assert not Residency.objects.filter(neighbourhood=other_fund.neighbourhood,
                                        user__last_name="Code").exists()  # fmt: skip
