"""Payee details: checked by a library's country rules, correctable until the money is paid,
every change audited and mailed (a changed IBAN is the classic fraud)."""

import pytest
from django.core import mail

from community.iban import bic_of, is_valid_iban
from community.models import AuditEvent
from tests.conftest import client_for
from tests.grants.factories import advance, make_application, make_fund, resident_of

pytestmark = pytest.mark.django_db

NEW_IBAN = "NL20INGB0001234567"


def with_check_digits(country: str, bban: str) -> str:
    digits = "".join(str(int(ch, 36)) for ch in bban + country + "00")
    return f"{country}{98 - int(digits) % 97:02d}{bban}"


@pytest.mark.parametrize(
    ("iban", "valid"),
    [
        ("NL91ABNA0417164300", True),
        ("nl91 abna 0417 1643 00", True),
        ("NL91ABNA0417164301", False),  # check digits
        (with_check_digits("XX", "ABNA0417164300"), False),  # no such country
        (with_check_digits("NL", "12340417164300"), False),  # a Dutch bank code is letters
        (with_check_digits("PL", "ABNA0417164300123"), False),  # Polish length and format
        ("MT84MALT011000012345MTLCAST001S", True),  # countries the old check never knew
    ],
)
def test_ibans_follow_each_countrys_rules(iban, valid):
    """The hand-written mod-97 check accepted each of the made-up ones that pass mod 97."""
    assert is_valid_iban(iban) is valid


def test_the_bic_of_a_dutch_bank_is_known():
    assert bic_of("NL91ABNA0417164300") == "ABNANL2A"
    assert bic_of(NEW_IBAN) == "INGBNL2A"


@pytest.fixture
def fund(coop_a, rivierenwijk):
    return make_fund(coop_a, rivierenwijk)


def change(user, application, name="Stichting Nieuw", iban=NEW_IBAN):
    return client_for(user).patch(
        f"/api/v1/applications/{application.pk}/payee/",
        {"payee_name": name, "payee_iban": iban},
        format="json",
    )


def test_the_applicant_corrects_the_payee_and_is_told(fund, django_capture_on_commit_callbacks):
    application = advance(make_application(fund), "approved")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = change(application.applicant, application)
    assert response.status_code == 200
    assert response.json()["payee_name"] == "Stichting Nieuw"
    assert response.json()["payee_iban"] == "NL20 **** **** **45 67"
    event = AuditEvent.objects.get(action="application_payee_changed")
    assert event.data == {
        "name_before": "Stichting Rijnlaan",
        "name_after": "Stichting Nieuw",
        "account_before": "NL91 **** **** **43 00",
        "account_after": "NL20 **** **** **45 67",
    }
    [message] = mail.outbox
    assert message.to == [application.applicant.email]
    assert "NL20 **** **** **45 67" in message.body and NEW_IBAN not in message.body


def test_nobody_else_changes_the_payee(fund):
    application = advance(make_application(fund), "approved")
    assert change(resident_of(fund), application).status_code == 403
    application.refresh_from_db()
    assert application.payee_name == "Stichting Rijnlaan"


def test_the_payee_is_fixed_once_the_money_is_paid(fund):
    application = advance(make_application(fund), "paid")
    response = change(application.applicant, application)
    assert response.status_code == 409 and response.json()["code"] == "payee_locked"


def test_an_invalid_iban_is_400_and_changes_nothing(fund):
    application = advance(make_application(fund), "approved")
    response = change(application.applicant, application, iban="NL91ABNA0417164301")
    assert response.status_code == 400 and response.json()["code"] == "iban_invalid"
    application.refresh_from_db()
    assert application.payee_iban == "NL91ABNA0417164300"
    assert not AuditEvent.objects.filter(action="application_payee_changed").exists()
