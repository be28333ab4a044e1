"""IBAN checks and the masked form shown to people, through schwifty (the country rules of
ISO 13616 and each country's national check digits, e.g. the Dutch bank codes)."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException


def normalise_iban(raw: str) -> str:
    return re.sub(r"\s+", "", raw).upper()


def is_valid_iban(raw: str) -> bool:
    try:
        IBAN(normalise_iban(raw), validate_bban=True)
    except (SchwiftyException, ValueError):
        return False
    return True


def bic_of(raw: str) -> str:
    """The bank's BIC for an IBAN (known for Dutch banks and many others), else ""."""
    try:
        bic = IBAN(normalise_iban(raw)).bic
    except (SchwiftyException, ValueError):
        return ""
    return str(bic) if bic else ""


def mask_iban(raw: str) -> str:
    """NL91ABNA0417164300 -> NL91 **** **** **43 00: enough to recognise, not to copy."""
    iban = normalise_iban(raw)
    if len(iban) < 8:
        return "*" * len(iban)
    masked = iban[:4] + "*" * (len(iban) - 8) + iban[-4:]
    return " ".join(masked[i : i + 4] for i in range(0, len(masked), 4))


def validate_iban(raw: str) -> None:
    """Model-field validator: a blank value passes (the field says whether it is required)."""
    if raw and not is_valid_iban(raw):
        raise ValidationError(_("Enter a valid IBAN."), code="invalid_iban")
