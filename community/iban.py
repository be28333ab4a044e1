"""IBAN checks (ISO 13616 mod-97) and the masked form shown to people."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_LENGTHS = {"NL": 18, "BE": 16, "DE": 22, "FR": 27, "LU": 20, "ES": 24, "IT": 27, "GB": 22}


def normalise_iban(raw: str) -> str:
    return re.sub(r"\s+", "", raw).upper()


def is_valid_iban(raw: str) -> bool:
    iban = normalise_iban(raw)
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}", iban):
        return False
    if iban[:2] in _LENGTHS and len(iban) != _LENGTHS[iban[:2]]:
        return False
    digits = "".join(str(int(ch, 36)) for ch in iban[4:] + iban[:4])
    return int(digits) % 97 == 1


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
