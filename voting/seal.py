"""Sealed ballots: the ballot key keeps a choice secret from anyone who holds only the database.

Scope of the promise. Who voted is public within the cooperative; how a resident voted is
not. Each participation row carries its choice sealed with AES-GCM under a key derived (HKDF)
per application from ``BALLOT_KEY``, which lives outside the database like
``RESIDENCE_CODE_KEY``. The plaintext has one fixed length whatever it says, the nonce is fresh
for every seal, and the seal is bound to its row (application and voter as associated data), so
copies of the database taken at any moments (dumps, physical files, the write-ahead log,
backups over time), the audit trail and the logs do not tell how a given resident voted.
What they may tell: that a resident voted, that a ballot was recorded on paper, and (over
several copies in time) that a row was sealed again, which happens on every repeated vote,
whether or not the choice changed.

Whoever holds both the key and the database can link voters to choices, exactly like an
election office that keeps sealed envelopes. Guard the key accordingly.

Receipts are looked up by an HMAC under a key derived with another HKDF label, so a receipt
hash is no handle on any seal, and a database copy cannot be searched with a receipt
without the key.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

NONCE_BYTES = 12
TAG_BYTES = 16
_VERSION = 1
# version, choice, changed, paper: four bytes whatever the values, so every seal is as long.
_PLAINTEXT_BYTES = 4
SEALED_BYTES = NONCE_BYTES + _PLAINTEXT_BYTES + TAG_BYTES
_CHOICE_CODES = {"yes": 1, "no": 2}
_CHOICES_BY_CODE = {code: choice for choice, code in _CHOICE_CODES.items()}

_SEAL_LABEL = b"buurtfonds/ballot-seal/v1/application/"
_RECEIPT_LABEL = b"buurtfonds/receipt-lookup/v1"


class SealBroken(Exception):
    """A sealed choice does not open: altered in the database, or sealed under another key."""


@dataclass(frozen=True)
class Sealed:
    """What a seal holds: the current choice, whether it was ever changed, whether it is the
    paper ballot a coordinator recorded (a resident's own vote replaces it)."""

    choice: str
    changed: bool = False
    paper: bool = False


def _ballot_key() -> bytes:
    key = settings.BALLOT_KEY
    if not key:
        raise ImproperlyConfigured("BALLOT_KEY is not set.")
    return str(key).encode()


@lru_cache(maxsize=4096)
def _derive(key: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(key)


def _application_key(application_id: int) -> bytes:
    return _derive(_ballot_key(), _SEAL_LABEL + str(application_id).encode())


def _associated_data(application_id: int, voter_id: int) -> bytes:
    return f"application:{application_id}:voter:{voter_id}".encode()


def random_bytes(n: int) -> bytes:
    return os.urandom(n)


def seal(*, application_id: int, voter_id: int, sealed: Sealed) -> bytes:
    """The choice sealed for one participation row: nonce, ciphertext and tag."""
    plaintext = bytes(
        [_VERSION, _CHOICE_CODES[sealed.choice], int(sealed.changed), int(sealed.paper)]
    )
    nonce = random_bytes(NONCE_BYTES)
    box = AESGCM(_application_key(application_id))
    return nonce + box.encrypt(nonce, plaintext, _associated_data(application_id, voter_id))


def unseal(*, application_id: int, voter_id: int, sealed: bytes | memoryview) -> Sealed:
    """Open a seal of this row; :class:`SealBroken` when it was altered or moved."""
    sealed = bytes(sealed)  # PostgreSQL hands back a memoryview
    if len(sealed) != SEALED_BYTES:
        raise SealBroken()
    box = AESGCM(_application_key(application_id))
    try:
        plain = box.decrypt(
            sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], _associated_data(application_id, voter_id)
        )
    except InvalidTag as exc:
        raise SealBroken() from exc
    version, choice, changed, paper = plain
    if version != _VERSION or choice not in _CHOICES_BY_CODE:
        raise SealBroken()
    return Sealed(choice=_CHOICES_BY_CODE[choice], changed=bool(changed), paper=bool(paper))


def new_receipt() -> str:
    """A receipt for the voter to keep: 144 random bits, 24 characters."""
    return secrets.token_urlsafe(18)


def receipt_hash(receipt: str) -> str:
    """How a receipt is stored and found: a keyed hash, useless without ``BALLOT_KEY``."""
    key = _derive(_ballot_key(), _RECEIPT_LABEL)
    return hmac.new(key, receipt.strip().encode(), hashlib.sha256).hexdigest()
