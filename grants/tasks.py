"""Notifications, sent by Celery after the transaction that caused them has committed.

Tasks take ids and read fresh state, so a retry or a late run sends the right text.
Mail is in Dutch, with the English text below it.
"""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.utils import translation
from django.utils.translation import gettext as _

from backend.faults import pause_point
from community.models import Membership


def in_both_languages(render: object) -> tuple[str, str]:
    parts = []
    for language in ("nl", "en"):
        with translation.override(language):
            parts.append(render())  # type: ignore[operator]
    subject = parts[0][0]
    body = parts[0][1] + "\n\n— English —\n\n" + parts[1][1]
    return subject, body


@shared_task(acks_late=True)
def notify_decision(application_id: int) -> int:
    from .models import Application

    application = Application.objects.select_related("applicant", "fund").get(pk=application_id)
    if not application.applicant.email:
        return 0

    def render() -> tuple[str, str]:
        status = application.get_status_display()  # type: ignore[attr-defined]
        subject = _("Your application “%(title)s”: %(status)s") % {
            "title": application.title,
            "status": status,
        }
        body = _(
            "The decision on your application “%(title)s” to %(fund)s: %(status)s "
            "(%(yes)s in favour, %(no)s against)."
        ) % {
            "title": application.title,
            "fund": application.fund.name,
            "status": status,
            "yes": application.yes_votes if application.yes_votes is not None else "-",
            "no": application.no_votes if application.no_votes is not None else "-",
        }
        return subject, body

    subject, body = in_both_languages(render)
    return send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [application.applicant.email])


def _treasurer_emails(cooperative: Any) -> list[str]:
    return sorted(
        set(
            Membership.objects.filter(
                role=Membership.Role.TREASURER,
                active=True,
                cooperative__in=[cooperative.pk, cooperative.parent_id],
            )
            .exclude(user__email="")
            .values_list("user__email", flat=True)
        )
    )


@shared_task(acks_late=True)
def notify_awaiting_payment(application_id: int) -> int:
    from .models import Application

    application = Application.objects.select_related("fund__cooperative").get(pk=application_id)
    recipients = _treasurer_emails(application.fund.cooperative)
    if not recipients:
        return 0

    def render() -> tuple[str, str]:
        subject = _("Awaiting payment: “%(title)s”") % {"title": application.title}
        body = _(
            "The application “%(title)s” to %(fund)s was approved and awaits payment of EUR %(amount)s."
        ) % {
            "title": application.title,
            "fund": application.fund.name,
            "amount": f"{application.amount_requested_cents / 100:.2f}".replace(".", ","),
        }
        return subject, body

    subject, body = in_both_languages(render)
    return send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)


@shared_task(acks_late=True)
def notify_repayment_due(application_id: int) -> int:
    """Tell the applicant how much unspent money to pay back, where, and with what reference."""
    from ledger.selectors import earmark_repayment

    from .models import Application
    from .selectors import repayment_account

    application = Application.objects.select_related(
        "applicant", "fund__cooperative__parent", "earmark"
    ).get(pk=application_id)
    owed = earmark_repayment(application.earmark).owed_cents
    if owed <= 0 or not application.applicant.email:
        return 0
    account = repayment_account(application)

    def render() -> tuple[str, str]:
        subject = _("Please pay back the unspent money of “%(title)s”") % {
            "title": application.title
        }
        facts = {
            "title": application.title,
            "amount": f"{owed / 100:.2f}".replace(".", ","),
            "reference": application.repayment_reference,
        }
        if account is None:
            body = (
                _(
                    "Thank you for your report on “%(title)s”. EUR %(amount)s was not spent and goes "
                    "back to the neighbourhood fund. The treasurer will tell you the account number; "
                    "please use the reference “%(reference)s”."
                )
                % facts
            )
        else:
            body = _(
                "Thank you for your report on “%(title)s”. EUR %(amount)s was not spent and goes "
                "back to the neighbourhood fund. Please transfer it to %(iban)s in the name of "
                "%(holder)s, with the reference “%(reference)s”."
            ) % {**facts, "iban": account[0], "holder": account[1]}
        return subject, body

    subject, body = in_both_languages(render)
    return send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [application.applicant.email])


@shared_task(acks_late=True)
def refund_topups(application_id: int) -> int:
    """A plan did not go ahead: its top-ups go back (idempotent)."""
    from .topups import topups_refund

    started = topups_refund(application_id=application_id)
    # Committed, not yet acknowledged: the task is handed out again and must refund nothing.
    pause_point("refund.after_commit")
    return started


@shared_task(acks_late=True)
def refund_topup(topup_id: int) -> bool:
    from .topups import topup_refund

    return topup_refund(topup_id=topup_id)


@shared_task(acks_late=True)
def sweep_topups() -> dict[str, int]:
    """Every five minutes (beat): what lost tasks and crashed requests left behind."""
    from .topups import topups_sweep

    return topups_sweep()


@shared_task(acks_late=True)
def notify_payee_changed(application_id: int, change: dict[str, str]) -> int:
    """Tell the applicant (and whoever entered the application) that its payee changed, so
    a change they did not make is noticed before the money goes out."""
    from .models import Application

    application = Application.objects.select_related("applicant", "entered_by").get(
        pk=application_id
    )
    recipients = sorted(
        {u.email for u in (application.applicant, application.entered_by) if u and u.email}
    )
    if not recipients:
        return 0

    def render() -> tuple[str, str]:
        subject = _("The payee of “%(title)s” changed") % {"title": application.title}
        body = _(
            "The bank details for “%(title)s” were changed: %(name_before)s %(account_before)s "
            "is now %(name_after)s %(account_after)s. If you did not make this change, tell "
            "your cooperative's treasurer at once."
        ) % {"title": application.title, **change}
        return subject, body

    subject, body = in_both_languages(render)
    return send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)


@shared_task(acks_late=True)
def notify_payout_returned(item_id: int) -> int:
    """The bank sent a payout back: the treasurers and the applicant hear it, and that the
    payee's details must be corrected before it is paid again."""
    from .models import PayoutItem

    item = PayoutItem.objects.select_related(
        "application__fund__cooperative", "application__applicant", "application__entered_by"
    ).get(pk=item_id)
    application = item.application
    people = (application.applicant, application.entered_by)
    recipients = sorted(
        set(_treasurer_emails(application.fund.cooperative))
        | {u.email for u in people if u and u.email}
    )
    if not recipients:
        return 0

    def render() -> tuple[str, str]:
        subject = _("The bank returned the payment for “%(title)s”") % {"title": application.title}
        body = _(
            "The bank could not pay EUR %(amount)s for “%(title)s” to the account given "
            "(reason %(reason)s). The grant is still owed. Check and correct the payee's name "
            "and IBAN; the treasurer will pay it again."
        ) % {
            "title": application.title,
            "amount": f"{item.amount_cents / 100:.2f}".replace(".", ","),
            "reason": item.return_reason or "-",
        }
        return subject, body

    subject, body = in_both_languages(render)
    return send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
