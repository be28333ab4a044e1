"""The residents' pages, as a resident uses them: without JavaScript, in Dutch first, on the
same services as the API."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from community.models import Residency
from grants.models import Application, Round
from tests.community.factories import UserFactory
from tests.grants.factories import (
    advance,
    coordinator_of,
    make_application,
    make_fund,
    resident_of,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def fund(coop_a, rivierenwijk):
    return make_fund(coop_a, rivierenwijk, vote_window_minutes=120)


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_the_home_page_lets_you_choose_your_buurt_and_remembers_it(rivierenwijk):
    client = Client()
    home = client.get("/")
    assert home.status_code == 200
    assert '<html lang="nl"' in text(home)
    assert f'href="/buurt/{rivierenwijk.slug}/"' in text(home)

    client.get(f"/buurt/{rivierenwijk.slug}/")
    again = client.get("/")
    assert again.status_code == 302 and again["Location"] == f"/buurt/{rivierenwijk.slug}/"
    assert client.get("/?kies=1").status_code == 200


def test_the_buurt_page_shows_the_money_open_votes_and_decisions(fund, rivierenwijk, time_machine):
    time_machine.move_to(timezone.localtime().replace(hour=10, minute=0), tick=False)
    voting = advance(make_application(fund, title="Bankjes bij de speeltuin"), "voting")
    decided = advance(make_application(fund, title="Buurtbarbecue"), "approved")

    page = text(Client().get(f"/buurt/{rivierenwijk.slug}/"))

    assert "€ 15.000,00" in page  # deposited
    assert "Bankjes bij de speeltuin" in page
    assert f"sluit vandaag om {timezone.localtime(voting.vote_closes_at):%H:%M}" in page
    assert "sluit vandaag om 12:00" in page
    assert "Buurtbarbecue" in page and decided.get_status_display() in page


def test_an_open_vote_closes_in_words(fund, time_machine):
    from web.templatetags.buurtfonds import closes_in_words

    now = timezone.localtime().replace(hour=10, minute=0)
    time_machine.move_to(now)
    assert closes_in_words(now + timedelta(hours=6, minutes=5)) == "sluit vandaag om 16:05"
    assert closes_in_words(now + timedelta(days=1)) == "sluit morgen om 10:00"


def test_a_resident_votes_sees_the_receipt_once_and_changes_the_vote(fund):
    application = advance(make_application(fund), "voting")
    voter = resident_of(fund)
    client = logged_in(voter)
    url = f"/aanvraag/{application.pk}/stem/"

    first = client.post(url, {"choice": "yes"})
    receipt = re.search(r"<code>([^<]+)</code>", first.content.decode()).group(1)
    again = client.post(url, {"choice": "no"})
    page = text(client.get(f"/aanvraag/{application.pk}/"))

    assert first.status_code == 201 and first["Cache-Control"] == "no-store"
    assert again.status_code == 200
    assert "U heeft gestemd" in page
    assert receipt not in str(dict(client.session))  # never kept in the session
    checked = text(client.post("/bon/", {"receipt": receipt}))
    assert "Deze stem is geteld" in checked and "U stemde nee" in checked
    anonymous = text(Client().post("/bon/", {"receipt": receipt}))
    assert "Deze stem is geteld" in anonymous and "U stemde" not in anonymous


def test_who_may_not_vote_is_told_and_nothing_is_counted(fund, lunetten, coop_b):
    application = advance(make_application(fund), "voting")
    outsider = resident_of(make_fund(coop_b, lunetten))
    for user in (outsider, application.applicant):
        answer = logged_in(user).post(f"/aanvraag/{application.pk}/stem/", {"choice": "yes"})
        assert answer.status_code in (403, 409)
        assert 'role="alert"' in text(answer)
    assert application.participations.count() == 0
    anonymous = Client().post(f"/aanvraag/{application.pk}/stem/", {"choice": "yes"})
    assert anonymous.status_code == 302 and "/inloggen/" in anonymous["Location"]


def test_every_form_needs_its_csrf_token(fund):
    application = advance(make_application(fund), "voting")
    client = Client(enforce_csrf_checks=True)
    client.force_login(resident_of(fund))
    for url, data in [
        (f"/aanvraag/{application.pk}/stem/", {"choice": "yes"}),
        (f"/aanvragen/nieuw/?fonds={fund.pk}", {"title": "x"}),
        ("/code/", {"code": "x"}),
        ("/bon/", {"receipt": "x"}),
        ("/uitloggen/", {}),
    ]:
        assert client.post(url, data).status_code == 403, url
    assert application.participations.count() == 0


def test_sign_up_redeem_a_code_apply_and_send_in(fund, rivierenwijk):
    client = Client()
    signed = client.post(
        "/aanmelden/",
        {"username": "fatima", "email": "fatima@example.org", "password": "lange-zin-42"},
    )
    assert signed.status_code == 302 and signed["Location"] == "/code/"
    from community import services

    code = services.residence_codes_issue(
        neighbourhood=rivierenwijk, count=1, acting_user=coordinator_of(fund.cooperative)
    ).codes[0]
    redeemed = client.post("/code/", {"code": code})
    assert redeemed["Location"] == f"/buurt/{rivierenwijk.slug}/"
    assert Residency.objects.filter(user__username="fatima").exists()

    form = {
        "title": "Geveltuintjes",
        "summary": "Planten voor de hele straat.",
        "amount_requested": "300",
        "total_budget": "400",
        "own_contribution": "10",
        "payee_name": "",
        "payee_iban": "",
    }
    saved = client.post(f"/aanvragen/nieuw/?fonds={fund.pk}", form)
    draft = Application.objects.get(title="Geveltuintjes")
    assert saved["Location"] == f"/aanvraag/{draft.pk}/bewerken/"
    assert draft.amount_requested_cents == 30_000 and draft.status == "draft"

    checks = text(client.get(f"/aanvraag/{draft.pk}/bewerken/"))
    assert "Nog niet" in checks and "€ 20,00" in checks  # 5 percent of 400 euros
    assert 'value="300,00"' in checks and "Minstens 5 procent" in checks
    refused = client.post(f"/aanvraag/{draft.pk}/insturen/", follow=True)
    assert Application.objects.get(pk=draft.pk).status == "draft"
    assert "eigen bijdrage" in text(refused).lower()

    client.post(f"/aanvraag/{draft.pk}/bewerken/", {**form, "own_contribution": "20,00"})
    sent = client.post(f"/aanvraag/{draft.pk}/insturen/")
    assert sent["Location"] == f"/aanvraag/{draft.pk}/"
    assert Application.objects.get(pk=draft.pk).status == "voting"


def test_bad_amounts_are_told_at_their_field(fund):
    client = logged_in(resident_of(fund))
    answer = client.post(
        f"/aanvragen/nieuw/?fonds={fund.pk}",
        {"title": "x", "summary": "y", "amount_requested": "12,345", "total_budget": "-1",
         "own_contribution": "abc"},
    )  # fmt: skip
    page = text(answer)
    assert answer.status_code == 400
    assert 'aria-invalid="true"' in page
    assert 'aria-describedby="id_amount_requested-help id_amount_requested-error"' in page
    assert 'href="#id_own_contribution"' in page  # the summary links to the field
    assert not Application.objects.exists()


def test_the_own_contribution_is_checked_as_you_type(fund):
    client = logged_in(resident_of(fund))
    url = f"/aanvragen/eigen-bijdrage/?fonds={fund.pk}"
    low = text(client.post(url, {"total_budget": "400", "own_contribution": "19,99"}))
    enough = text(client.post(url, {"total_budget": "400", "own_contribution": "20"}))
    assert "te klein" in low and "€ 20,00" in low
    assert "genoeg" in enough


def test_nobody_sees_or_changes_another_residents_draft(fund):
    draft = make_application(fund)
    other = logged_in(resident_of(fund))
    for url in (f"/aanvraag/{draft.pk}/", f"/aanvraag/{draft.pk}/bewerken/"):
        assert other.get(url).status_code == 404
        assert Client().get(url).status_code in (302, 404)
    assert other.post(f"/aanvraag/{draft.pk}/insturen/").status_code == 404
    assert other.post(f"/aanvraag/{draft.pk}/intrekken/").status_code == 404
    edit = other.post(f"/aanvraag/{draft.pk}/bewerken/", {"title": "Van mij"})
    assert edit.status_code == 404
    assert Application.objects.get(pk=draft.pk).status == "draft"
    assert "Van mij" not in Application.objects.get(pk=draft.pk).title
    mine = text(other.get("/mijn-aanvragen/"))
    assert draft.title not in mine


def test_pages_speak_english_when_asked(rivierenwijk):
    page = Client(HTTP_ACCEPT_LANGUAGE="en").get("/?kies=1")
    assert '<html lang="en"' in text(page)
    assert "Choose your buurt" in text(page)


def test_the_accessibility_statement_is_published():
    page = text(Client().get("/toegankelijkheid/"))
    assert "Toegankelijkheidsverklaring" in page and "WCAG 2.1" in page


def test_log_in_and_out(fund):
    user = UserFactory(username="henk")
    user.set_password("lange-zin-42")
    user.save()
    client = Client()
    assert client.post("/inloggen/", {"username": "henk", "password": "fout"}).status_code == 200
    logged = client.post("/inloggen/", {"username": "henk", "password": "lange-zin-42"})
    assert logged.status_code == 302
    assert "henk" in text(client.get("/mijn-aanvragen/"))
    client.post("/uitloggen/")
    assert client.get("/mijn-aanvragen/").status_code == 302


def test_every_stylesheet_and_script_a_page_names_is_served():
    from django.contrib.staticfiles import finders

    page = Client().get("/toegankelijkheid/").content.decode()
    paths = re.findall(r'(?:href|src)="/static/([^"]+)"', page)
    assert len(paths) >= 4
    for path in paths:
        assert finders.find(path), path


def test_a_decided_application_shows_its_tally_and_money(fund):
    paid = advance(make_application(fund, amount_requested_cents=35_000), "paid")
    page = text(Client().get(f"/aanvraag/{paid.pk}/"))
    assert "3 ja en 0 nee" in page
    assert "Betaald</dt><dd>€ 350,00" in page.replace(" <", "<").replace("> ", ">")


def test_a_buurtfonds_year_publishes_every_decision_and_the_money(fund, rivierenwijk):
    approved = advance(make_application(fund, title="Buurtbarbecue"), "approved")
    advance(make_application(fund, title="Moestuin"), "rejected")
    advance(make_application(fund, title="Nog open"), "voting")
    year = timezone.localtime(approved.decided_at).year
    page = text(Client().get(f"/buurt/{rivierenwijk.slug}/{year}/"))
    assert "Buurtbarbecue" in page and "Moestuin" in page and "Nog open" not in page
    assert "Dit jaar toegekend: € 400,00" in page
    assert Client().get(f"/buurt/{rivierenwijk.slug}/1900/").status_code == 404


def test_an_innovation_round_publishes_its_result(coop_a, rivierenwijk):
    from tests.grants.test_rounds import entered, innovation_fund, open_round

    buurtfonds = make_fund(coop_a, rivierenwijk)  # the year's subsidy income
    pot = innovation_fund(coop_a, 100_000)
    round_id = open_round(pot).json()["id"]
    application = entered(Round.objects.get(pk=round_id), resident_of(buurtfonds))
    page = text(Client().get(f"/innovatieronde/{round_id}/"))
    assert application.title in page and "€ 900,00" in page  # its budget
    assert Client().get("/innovatieronde/999999/").status_code == 404


def test_the_applicant_reports_with_receipts_and_owes_what_was_not_spent(fund):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from ledger.selectors import earmark_repayment

    paid = advance(make_application(fund, amount_requested_cents=40_000), "paid")
    client = logged_in(paid.applicant)
    assert "Verslag" in text(client.get(f"/aanvraag/{paid.pk}/"))
    receipt = SimpleUploadedFile("bon.png", b"\x89PNG\r\n\x1a\n" + b"0" * 64, "image/png")
    answer = client.post(
        f"/aanvraag/{paid.pk}/verslag/",
        {"summary": "Het feest was gezellig.", "spent": "300,00", "receipts": [receipt]},
    )
    reported = Application.objects.get(pk=paid.pk)
    assert answer.status_code == 302
    assert reported.status == "reported" and reported.receipts.count() == 1
    assert earmark_repayment(reported.earmark).owed_cents == 10_000
    assert logged_in(resident_of(fund)).get(f"/aanvraag/{paid.pk}/verslag/").status_code == 404


def test_a_report_with_a_file_that_is_no_receipt_changes_nothing(fund):
    from django.core.files.uploadedfile import SimpleUploadedFile

    paid = advance(make_application(fund), "paid")
    fake = SimpleUploadedFile("bon.png", b"<script>alert(1)</script>", "image/png")
    answer = logged_in(paid.applicant).post(
        f"/aanvraag/{paid.pk}/verslag/", {"summary": "x", "spent": "10", "receipts": [fake]}
    )
    assert answer.status_code == 400
    assert Application.objects.get(pk=paid.pk).status == "paid"


def test_the_residents_login_locks_out_after_five_failures_and_opens_after_the_cool_off(fund):
    import time_machine as tm

    user = UserFactory(username="wim")
    user.set_password("lange-zin-42")
    user.save()
    client = Client()
    codes = [
        client.post("/inloggen/", {"username": "wim", "password": "fout"}).status_code
        for _ in range(5)
    ]
    assert codes == [200, 200, 200, 200, 429]  # four forms back with the error, then locked
    locked = client.post("/inloggen/", {"username": "wim", "password": "lange-zin-42"})
    assert locked.status_code == 429 and locked["Retry-After"] == "900"
    assert "wachtwoord" in locked.content.decode().lower()
    with tm.travel(timezone.now() + timedelta(minutes=16)):
        opened = client.post("/inloggen/", {"username": "wim", "password": "lange-zin-42"})
        assert opened.status_code == 302
