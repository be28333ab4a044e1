"""Settling vote windows and telling residents about new votes. Tasks take ids and are
idempotent; settling before the close does nothing (with tasks run in-process, the task
scheduled for the deadline runs at once, and the reader or the sweep settle later)."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mass_mail
from django.utils import translation
from django.utils.translation import gettext as _


@shared_task(acks_late=True)
def settle_window(application_id: int) -> bool:
    from .services import window_settle

    return window_settle(application_id=application_id) is not None


@shared_task(acks_late=True)
def sweep_due_windows() -> int:
    """The guarantee: every minute (Celery beat), settle whatever is due."""
    from .services import settle_due_windows

    return settle_due_windows()


@shared_task(acks_late=True)
def notify_vote_opened(application_id: int) -> int:
    """E-mail the residents of the buurt who asked to hear about new votes."""
    from community.models import Residency
    from grants.models import Application

    application = Application.objects.select_related("fund__neighbourhood").get(pk=application_id)
    recipients = list(
        Residency.objects.filter(
            neighbourhood=application.fund.neighbourhood,
            ended_at__isnull=True,
            notify_new_votes=True,
        )
        .exclude(user__email="")
        .exclude(user_id=application.applicant_id)
        .values_list("user__email", flat=True)
    )
    texts = []
    for language in ("nl", "en"):
        with translation.override(language):
            texts.append(
                (
                    _("New vote in your neighbourhood: “%(title)s”") % {"title": application.title},
                    _("Vote before %(closes)s on “%(title)s” (EUR %(amount)s).")
                    % {
                        "closes": application.vote_closes_at.astimezone().strftime("%d-%m-%Y %H:%M")
                        if application.vote_closes_at
                        else "",
                        "title": application.title,
                        "amount": f"{application.amount_requested_cents / 100:.2f}".replace(
                            ".", ","
                        ),
                    },
                )
            )
    subject = texts[0][0]
    body = texts[0][1] + "\n\n— English —\n\n" + texts[1][1]
    messages = [(subject, body, settings.DEFAULT_FROM_EMAIL, [email]) for email in recipients]
    return send_mass_mail(messages) if messages else 0
