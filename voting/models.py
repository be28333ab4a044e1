"""Secret ballots: who took part and what was chosen are kept in two tables with no link.

A ``Participation`` says that a resident voted on an application (one per resident, by a
unique constraint). A ``Ballot`` holds a choice and the hash of the receipt the voter got.
Neither carries a timestamp, ballots have random ids, and nothing refers from one to the
other, so a dump of the tables cannot tell how anyone voted.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from grants.models import Application


class Choice(models.TextChoices):
    YES = "yes", _("yes")
    NO = "no", _("no")


class Participation(models.Model):
    """That ``voter`` cast a ballot on ``application`` (never which ballot)."""

    application = models.ForeignKey(
        Application,
        on_delete=models.PROTECT,
        related_name="participations",
        verbose_name=_("application"),
    )
    voter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("voter"),
    )
    assisted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by (paper ballot)"),
    )

    class Meta:
        verbose_name = _("participation")
        verbose_name_plural = _("participations")
        constraints = [
            models.UniqueConstraint(
                fields=["application", "voter"], name="voting_one_ballot_per_voter"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.voter} @ {self.application}"


class Ballot(models.Model):
    """A choice, findable only by the hash of its receipt."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, related_name="ballots", verbose_name=_("application")
    )
    choice = models.CharField(_("choice"), max_length=3, choices=Choice.choices)
    receipt_hash = models.CharField(_("receipt hash"), max_length=64, unique=True)

    class Meta:
        verbose_name = _("ballot")
        verbose_name_plural = _("ballots")
        indexes = [models.Index(fields=["application", "choice"])]

    def __str__(self) -> str:
        return str(self.id)
