"""The full transition matrix over HTTP: every state times every action."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from grants import errors, services
from grants.models import Application
from tests.conftest import client_for
from tests.grants.factories import advance, board_of, make_application, make_fund, treasurer_of

pytestmark = pytest.mark.django_db

STATES = [
    "draft",
    "voting",
    "approved",
    "rejected",
    "withdrawn",
    "paid",
    "reported",
    "closed",
    "cancelled",
]
ALLOWED = {
    "draft": ["submit", "withdraw"],
    "voting": ["withdraw"],
    "approved": ["pay", "cancel"],
    "paid": ["report"],
    "reported": ["close"],
}
ACTIONS = {
    "submit": ("applicant", {}),
    "withdraw": ("applicant", {"reason": "toch niet"}),
    "pay": ("treasurer", {}),
    "cancel": ("board", {"reason": "afgeblazen"}),
    "report": ("applicant", {"summary": "Gedaan", "spent_cents": 40_000}),
    "close": ("board", {"evaluation": "successful", "note": "goed"}),
}


@pytest.fixture
def fund(coop_a, rivierenwijk):
    return make_fund(coop_a, rivierenwijk)


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("action", list(ACTIONS))
def test_transition_matrix(fund, state, action):
    application = advance(make_application(fund), state)
    who, payload = ACTIONS[action]
    actor = {
        "applicant": application.applicant,
        "treasurer": treasurer_of(fund.cooperative),
        "board": board_of(fund.cooperative),
    }[who]
    response = client_for(actor).post(
        f"/api/v1/applications/{application.pk}/{action}/", payload, format="json"
    )
    application.refresh_from_db()
    if action in ALLOWED.get(state, []):
        assert response.status_code == 200, response.json()
        assert response.json()["status"] == application.status != state
    else:
        assert response.status_code == 409, response.json()
        body = response.json()
        assert body["code"] == "transition_not_allowed"
        assert body["status"] == state
        assert body["allowed_actions"] == ALLOWED.get(state, [])
        assert application.status == state


@pytest.mark.parametrize("state", STATES)
def test_only_a_vote_in_progress_can_be_decided(fund, state):
    application = advance(make_application(fund), state)
    if state == "voting":
        assert (
            services.application_decide(application=application, yes=3, no=0).status == "approved"
        )
    else:
        with pytest.raises(errors.TransitionNotAllowed):
            services.application_decide(application=application, yes=3, no=0)
        application.refresh_from_db()
        assert application.status == state


def test_the_status_cannot_be_set_by_hand(fund):
    application = make_application(fund)
    with pytest.raises(AttributeError):
        application.status = Application.Status.PAID


def test_report_over_multipart_with_receipts(fund):
    application = advance(make_application(fund), "paid")
    png = SimpleUploadedFile(
        "bon.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 32, content_type="image/png"
    )
    response = client_for(application.applicant).post(
        f"/api/v1/applications/{application.pk}/report/",
        {"summary": "Gelukt", "spent_cents": "39000", "receipts": [png]},
        format="multipart",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["spent_cents"] == 39_000
    fake = SimpleUploadedFile("bon.pdf", b"not a pdf at all", content_type="application/pdf")
    other = advance(make_application(fund), "paid")
    bad = client_for(other.applicant).post(
        f"/api/v1/applications/{other.pk}/report/",
        {"summary": "x", "spent_cents": "0", "receipts": [fake]},
        format="multipart",
    )
    assert bad.status_code == 400 and bad.json()["code"] == "receipt_invalid"


def test_receipts_are_served_only_to_the_applicant_and_staff(fund, api):
    from tests.grants.factories import resident_of

    application = advance(make_application(fund), "paid")
    png = b"\x89PNG\r\n\x1a\n" + b"\x01" * 32
    services.application_report(
        application=application,
        acting_user=application.applicant,
        summary="x",
        spent_cents=1,
        receipts=[SimpleUploadedFile("bon.png", png, content_type="image/png")],
    )
    detail = client_for(application.applicant).get(f"/api/v1/applications/{application.pk}/").json()
    receipt_id = detail["receipts"][0]["id"]
    url = f"/api/v1/applications/{application.pk}/receipts/{receipt_id}/"
    mine = client_for(application.applicant).get(url)
    assert mine.status_code == 200 and b"".join(mine.streaming_content) == png
    assert client_for(treasurer_of(fund.cooperative)).get(url).status_code == 200
    assert client_for(resident_of(fund)).get(url).status_code == 404
    assert api.get(url).status_code == 401
    assert api.get(f"/api/v1/applications/{application.pk}/").json()["receipts"] is None
