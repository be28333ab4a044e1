"""Settling vote windows and telling residents about new votes. Tasks take ids and are
idempotent; settling before the close does nothing (with tasks run in-process, the task
scheduled for the deadline runs at once, and the reader or the sweep settle later)."""

from __future__ import annotations

from datetime import datetime

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail, send_mass_mail
from django.utils import timezone
from django.utils.translation import gettext as _

from backend.faults import pause_point
from grants.tasks import in_both_languages


@shared_task(acks_late=True)
def settle_window(application_id: int) -> bool:
    from .services import window_settle

    settled = window_settle(application_id=application_id) is not None
    # Committed, not yet acknowledged: the task is handed out again and must do nothing.
    pause_point("settle.after_commit")
    return settled


@shared_task(acks_late=True)
def sweep_due_windows() -> int:
    """The guarantee: every minute (Celery beat), settle whatever is due."""
    from .services import settle_due_windows

    return settle_due_windows()


def _when(moment: datetime | None) -> str:
    return timezone.localtime(moment).strftime("%d-%m-%Y %H:%M") if moment else ""


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

    def render() -> tuple[str, str]:
        return (
            _("New vote in your neighbourhood: “%(title)s”") % {"title": application.title},
            _("Vote before %(closes)s on “%(title)s” (EUR %(amount)s).")
            % {
                "closes": _when(application.vote_closes_at),
                "title": application.title,
                "amount": f"{application.amount_requested_cents / 100:.2f}".replace(".", ","),
            },
        )

    subject, body = in_both_languages(render)
    messages = [(subject, body, settings.DEFAULT_FROM_EMAIL, [email]) for email in recipients]
    return send_mass_mail(messages) if messages else 0


@shared_task(acks_late=True)
def notify_paper_ballot(application_id: int, resident_id: int, form_number: str) -> int:
    """Tell a resident that a paper ballot was recorded or corrected in their name (never the
    choice), so a coordinator cannot vote for someone unnoticed: the resident may replace it
    with their own vote while the window is open."""
    from community.models import User
    from grants.models import Application

    application = Application.objects.get(pk=application_id)
    resident = User.objects.get(pk=resident_id)
    if not resident.email:
        return 0

    def render() -> tuple[str, str]:
        return (
            _("A paper ballot in your name: “%(title)s”") % {"title": application.title},
            _(
                "A coordinator recorded a paper ballot in your name (form %(form)s) in the vote "
                "on “%(title)s”. If you did not fill in that form, or want to choose otherwise, "
                "vote yourself before %(closes)s: your own vote replaces the paper ballot."
            )
            % {
                "form": form_number,
                "title": application.title,
                "closes": _when(application.vote_closes_at),
            },
        )

    subject, body = in_both_languages(render)
    return send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [resident.email])
