"""The resident pages in a real browser: headless Chromium (Debian's package) driven by
Playwright, against a live server. axe-core checks every page for WCAG 2.1 A and AA; every
page is photographed at 360 and 1280 px (the folder is ``BROWSER_SCREENSHOTS``, printed by
CI); apply and vote also work with JavaScript off."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from community import services as community_services
from grants.models import Application, Round
from tests.grants.factories import advance, coordinator_of, make_application, make_fund
from tests.grants.factories import resident_of as make_resident_of

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
AXE = Path(__file__).resolve().parents[1] / "vendor" / "axe-core" / "axe.min.js"
SHOTS = Path(os.environ.get("BROWSER_SCREENSHOTS", "/tmp/buurtfonds-screenshots"))
PASSWORD = "lange-zin-voor-de-test-42"
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    playwright_api = pytest.importorskip("playwright.sync_api")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's loop in the test thread
    with playwright_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--disable-quic"],
        )  # fmt: skip
        yield chromium
        chromium.close()


@pytest.fixture
def fund(coop_a, rivierenwijk):
    return make_fund(coop_a, rivierenwijk, vote_window_minutes=60, quorum=2)


def with_password(user):
    user.set_password(PASSWORD)
    user.save()
    return user


def resident(fund):
    return with_password(make_resident_of(fund))


def context(browser, *, width=1280, javascript=True):
    return browser.new_context(
        viewport={"width": width, "height": 900},
        locale="nl-NL",
        java_script_enabled=javascript,
    )


def log_in(page, base, user) -> None:
    page.goto(f"{base}/inloggen/")
    page.get_by_label("Gebruikersnaam").fill(user.username)
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_url(re.compile(r".*/(?!inloggen).*"))


def axe_violations(page) -> list[dict]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG
    )
    return [
        {"id": v["id"], "nodes": [n["target"] for n in v["nodes"]][:3]}
        for v in result["violations"]
    ]


def photograph(browser, url: str, name: str, cookies: list | None = None) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width in (360, 1280):
        ctx = context(browser, width=width)
        if cookies:
            ctx.add_cookies(cookies)
        page = ctx.new_page()
        page.goto(url)
        # 320 px wide (WCAG 1.4.10 reflow) never scrolls sideways; 360 px neither.
        assert page.evaluate("document.documentElement.scrollWidth") <= width, (name, width)
        page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
        ctx.close()


def test_a_resident_signs_up_applies_neighbours_vote_and_the_decision_shows(
    browser, live_server, fund, rivierenwijk, time_machine
):
    base = live_server.url
    ctx = context(browser)
    page = ctx.new_page()
    page.goto(f"{base}/aanmelden/")
    page.get_by_label("Gebruikersnaam").fill("fatima")
    page.get_by_label("E-mailadres").fill("fatima@example.org")
    page.get_by_label("Wachtwoord").fill(PASSWORD)
    page.get_by_role("button", name="Aanmelden").click()
    page.wait_for_url(f"{base}/code/")
    code = community_services.residence_codes_issue(
        neighbourhood=rivierenwijk, count=1, acting_user=coordinator_of(fund.cooperative)
    ).codes[0]
    page.get_by_label("Bewonerscode").fill(code)
    page.get_by_role("button", name="Bevestigen").click()
    page.wait_for_url(f"{base}/buurt/{rivierenwijk.slug}/")

    page.get_by_role("link", name="Vraag geld voor uw plan").click()
    page.get_by_label("Naam van uw plan").fill("Bankjes bij de speeltuin")
    page.get_by_label("Wat wilt u doen, en voor wie?").fill("Drie bankjes voor ouders.")
    page.get_by_label("Bedrag dat u vraagt uit het fonds (euro)").fill("300")
    page.get_by_label("Wat het hele plan kost (euro)").fill("400")
    page.get_by_label("Uw eigen bijdrage (euro)").fill("15")
    # Checked as you type (htmx), before anything is saved.
    page.get_by_text("Uw eigen bijdrage is te klein").wait_for()
    page.get_by_label("Uw eigen bijdrage (euro)").fill("20")
    page.get_by_text("Uw eigen bijdrage is genoeg").wait_for()
    page.get_by_role("button", name="Concept bewaren").click()
    page.get_by_role("button", name="Insturen voor de stemming").click()
    page.get_by_text("Ingestuurd. Uw buren kunnen nu stemmen.").wait_for()
    application = Application.objects.get(title="Bankjes bij de speeltuin")
    assert application.status == "voting"

    receipts = []
    for _ in range(2):
        neighbour = ctx.browser.new_context(locale="nl-NL").new_page()
        log_in(neighbour, base, resident(fund))
        neighbour.goto(f"{base}/aanvraag/{application.pk}/")
        neighbour.get_by_label("Ja, geef het geld").check()
        neighbour.get_by_role("button", name="Stemmen").click()
        receipts.append(neighbour.locator(".bf-receipt code").inner_text())
        neighbour.context.close()

    time_machine.move_to(timezone.now() + timedelta(hours=2))
    page.goto(f"{base}/buurt/{rivierenwijk.slug}/")
    decisions = page.get_by_role("table")
    assert "Bankjes bij de speeltuin" in decisions.inner_text()
    assert "goedgekeurd\t2\t0" in decisions.inner_text()  # approved, 2 yes, 0 no
    ctx.close()
    # Anyone may check a receipt (logged in as someone else it answers like an unknown one).
    anonymous = context(browser).new_page()
    anonymous.goto(f"{base}/bon/")
    anonymous.get_by_label("Bewijs").fill(receipts[0])
    anonymous.get_by_role("button", name="Controleren").click()
    anonymous.get_by_text("Deze stem is geteld.").wait_for()
    anonymous.context.close()


def test_apply_and_vote_work_without_javascript(browser, live_server, fund):
    base = live_server.url
    applicant = resident(fund)
    ctx = context(browser, javascript=False)
    page = ctx.new_page()
    log_in(page, base, applicant)
    page.goto(f"{base}/aanvragen/nieuw/?fonds={fund.pk}")
    page.get_by_label("Naam van uw plan").fill("Geveltuintjes")
    page.get_by_label("Wat wilt u doen, en voor wie?").fill("Groen voor de straat.")
    page.get_by_label("Bedrag dat u vraagt uit het fonds (euro)").fill("200")
    page.get_by_label("Wat het hele plan kost (euro)").fill("300")
    page.get_by_label("Uw eigen bijdrage (euro)").fill("15")
    page.get_by_role("button", name="Concept bewaren").click()
    page.get_by_role("button", name="Insturen voor de stemming").click()
    application = Application.objects.get(title="Geveltuintjes")
    assert application.status == "voting"
    ctx.close()

    voter_ctx = context(browser, javascript=False)
    voter = voter_ctx.new_page()
    log_in(voter, base, resident(fund))
    voter.goto(f"{base}/aanvraag/{application.pk}/")
    voter.get_by_label("Nee").check()
    voter.get_by_role("button", name="Stemmen").click()
    assert voter.locator(".bf-receipt code").inner_text()
    assert application.participations.count() == 1
    voter_ctx.close()


def test_every_page_passes_axe_at_wcag_21_aa_and_is_photographed(browser, live_server, fund):
    base = live_server.url
    voting = advance(make_application(fund, title="Bankjes bij de speeltuin"), "voting")
    decided = advance(make_application(fund, title="Buurtbarbecue"), "approved")
    applicant = with_password(decided.applicant)
    draft = make_application(fund, applicant=applicant, title="Kerstborrel")
    from tests.grants.test_rounds import entered, innovation_fund, open_round

    round_id = open_round(innovation_fund(fund.cooperative, 100_000)).json()["id"]
    entered(Round.objects.get(pk=round_id), make_resident_of(fund))
    year = timezone.localtime(decided.decided_at).year
    public = {
        "home": "/?kies=1",
        "buurt": f"/buurt/{fund.neighbourhood.slug}/",
        "stemming": f"/aanvraag/{voting.pk}/",
        "besluit": f"/aanvraag/{decided.pk}/",
        "bon": "/bon/",
        "aanmelden": "/aanmelden/",
        "inloggen": "/inloggen/",
        "wachtwoord": "/wachtwoord/",
        "toegankelijkheid": "/toegankelijkheid/",
        "jaar": f"/buurt/{fund.neighbourhood.slug}/{year}/",
        "innovatieronde": f"/innovatieronde/{round_id}/",
        "niet-gevonden": "/bestaat-niet/",
    }
    own = {
        "code": "/code/",
        "mijn-aanvragen": "/mijn-aanvragen/",
        "nieuw": f"/aanvragen/nieuw/?fonds={fund.pk}",
        "concept": f"/aanvraag/{draft.pk}/bewerken/",
    }
    ctx = context(browser)
    page = ctx.new_page()
    found = {}
    for name, path in public.items():
        page.goto(base + path)
        found[name] = axe_violations(page)
        photograph(browser, base + path, name)
    log_in(page, base, applicant)
    cookies = ctx.cookies()
    for name, path in own.items():
        page.goto(base + path)
        found[name] = axe_violations(page)
        photograph(browser, base + path, name, cookies)
    # A form sent back with errors: the errors are tied to their fields.
    page.goto(f"{base}/aanvragen/nieuw/?fonds={fund.pk}")
    page.get_by_role("button", name="Concept bewaren").click()
    found["nieuw-met-fouten"] = axe_violations(page)
    ctx.close()
    # The information point, as a coordinator; a paper ballot entered on the way.
    coordinator = with_password(coordinator_of(fund.cooperative))
    voter = make_resident_of(fund)
    voter.first_name, voter.last_name = "Kees", "Bakker"
    voter.save()
    ctx = context(browser)
    page = ctx.new_page()
    log_in(page, base, coordinator)
    cookies = ctx.cookies()
    desk = {
        "infopunt": "/infopunt/",
        "infopunt-bewoner": "/infopunt/bewoner/",
        "infopunt-aanvraag": f"/infopunt/aanvraag/?fonds={fund.pk}",
        "infopunt-stem": f"/infopunt/stem/{voting.pk}/?zoek=bakker",
    }
    for name, path in desk.items():
        page.goto(base + path)
        found[name] = axe_violations(page)
        photograph(browser, base + path, name, cookies)
    page.goto(f"{base}/infopunt/stem/{voting.pk}/?zoek=bakker")
    page.get_by_label("Kees Bakker").check()
    page.get_by_label("Ja", exact=True).check()
    page.get_by_label("Nummer van het papieren formulier").fill("P-0042")
    page.get_by_role("button", name="Papieren stem vastleggen").click()
    page.get_by_text("De papieren stem is vastgelegd.").wait_for()
    assert voting.participations.filter(voter=voter, assisted_by=coordinator).exists()
    page.goto(f"{base}/infopunt/bewoner/")
    page.get_by_label("Voornaam").fill("Ans")
    page.get_by_label("Achternaam").fill("de Vries")
    page.get_by_label("Ik heb een bewijs van dit adres gezien (zonder code)").check()
    page.get_by_role("button", name="Inschrijven en blad maken").click()
    page.get_by_text("Wachtwoord (voor één keer)").wait_for()
    found["infopunt-blad"] = axe_violations(page)
    ctx.close()
    assert {name: v for name, v in found.items() if v} == {}
    print(f"\nscreenshots: {SHOTS}")
