from django.db import models


class BareRow(models.Model):
    """The baseline: one row with a unique key per request."""

    key = models.CharField(max_length=64, unique=True)

    class Meta:
        app_label = "bare"

    def __str__(self) -> str:
        return self.key
