"""Notifications, sent by Celery after the transaction that caused them has committed.

Tasks take ids and read fresh state, so a retry or a late run sends the right text.
Mail is in Dutch, with the English text below it.
"""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.utils import translation
from django.utils.translation import gettext as _

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


@shared_task(acks_late=True)
def notify_awaiting_payment(application_id: int) -> int:
    from .models import Application

    application = Application.objects.select_related("fund__cooperative").get(pk=application_id)
    cooperative = application.fund.cooperative
    recipients = sorted(
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
