"""Secret ballots: one row per participation, its choice sealed under the ballot key.

Who voted is public within the cooperative; how they voted is not. A ``Participation``
names the voter and holds their choice sealed with AES-GCM (see :mod:`voting.seal` for the
key, the fixed plaintext length and the scope of the promise). There is no other table of
ballots, no counter that moves with a vote, and no timestamp: the only place a choice
exists outside the ballot key's holder is inside the seal.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from grants.models import Application

from .seal import SEALED_BYTES


class Choice(models.TextChoices):
    YES = "yes", _("yes")
    NO = "no", _("no")


class Participation(models.Model):
    """That ``voter`` voted on ``application``, with the choice sealed.

    A paper ballot carries the number of its form and the coordinator who recorded it;
    a correction is found by that number. ``sealed`` is empty only for participations
    from before ballots were sealed, whose decision's counts are kept on the application.
    """

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
    # NULL, not "", where absent: unique per application only among paper ballots.
    form_number = models.CharField(  # noqa: DJ001
        _("paper form number"), max_length=20, null=True, blank=True, editable=False
    )
    sealed = models.BinaryField(
        _("sealed choice"), max_length=SEALED_BYTES, null=True, editable=False
    )
    receipt_hash = models.CharField(  # noqa: DJ001  (NULL for participations from before seals)
        _("receipt hash"), max_length=64, null=True, unique=True, editable=False
    )

    class Meta:
        verbose_name = _("participation")
        verbose_name_plural = _("participations")
        constraints = [
            models.UniqueConstraint(
                fields=["application", "voter"], name="voting_one_ballot_per_voter"
            ),
            models.UniqueConstraint(
                fields=["application", "form_number"], name="voting_form_number_unique"
            ),
            models.CheckConstraint(
                condition=Q(form_number__isnull=True) | Q(assisted_by__isnull=False),
                name="voting_paper_ballot_has_recorder",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.voter} @ {self.application}"
