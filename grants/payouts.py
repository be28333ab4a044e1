"""Paying grants through the bank: payout batches and their SEPA credit-transfer file.

The treasurer puts approved applications (and allocated innovation grants) of one
cooperative in a batch, exports it once as a pain.001 file (stored: every download gives the
same bytes), uploads that to the bank, and confirms the batch, or lets the bank statement
confirm each transfer (:mod:`banking.matching`). Only a confirmed transfer is booked: the
same posting as a one-off ``pay`` (grant payable to bank, top-ups to the project). A transfer
the bank sends back is reversed in the books and the application is owed again, flagged for
its payee to be corrected.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from datetime import date, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django_fsm import can_proceed
from sepaxml import SepaTransfer
from sepaxml.validation import ValidationError as SepaValidationError
from text_unidecode import unidecode

from backend.queue import enqueue_on_commit
from community.audit import audit_log
from community.iban import bic_of, is_valid_iban, mask_iban
from community.models import Cooperative, Membership, User
from community.selectors import role_cooperative_ids, user_has_cooperative_role
from ledger.models import JournalEntry
from ledger.selectors import topups_payable_cents
from ledger.services import entry_reverse

from . import errors, tasks
from .models import Application, PayoutBatch, PayoutFile, PayoutItem
from .services import _post_money, _transition, application_lock

MAX_ITEMS = 500
SEPA_SCHEMA = "pain.001.001.03"
PAYABLE = (Application.Status.APPROVED, Application.Status.ALLOCATED)
# SEPA's basic Latin character set (EPC guidance); anything else is transliterated or dropped.
_NOT_SEPA = re.compile(r"[^A-Za-z0-9/\-?:().,'+ ]")


def sepa_text(text: str, limit: int) -> str:
    """Text as SEPA takes it: transliterated to Latin, outside characters dropped, spaces
    squeezed, cut to ``limit`` characters."""
    cleaned = _NOT_SEPA.sub("", unidecode(text))
    return " ".join(cleaned.split())[:limit].rstrip()


def remittance_of(application: Application) -> str:
    return sepa_text(f"Buurtfonds {application.pk} {application.title}", 140)


def _require_treasurer(user: User, cooperative: Cooperative) -> None:
    if not user_has_cooperative_role(
        user=user, role=Membership.Role.TREASURER, cooperative=cooperative
    ):
        raise errors.NotTreasurer()


def _check_payable(application: Application) -> None:
    if application.status not in PAYABLE:
        raise errors.NotPayable(extra={"application": application.pk, "status": application.status})
    if (
        not application.payee_name
        or not is_valid_iban(application.payee_iban)
        or application.payee_check_needed
    ):
        raise errors.PayeeMissing(extra={"application": application.pk})


def open_item_of(application: Application) -> PayoutItem | None:
    return (
        PayoutItem.objects.select_related("batch")
        .filter(application=application, open=True)
        .first()
    )


def payout_batch_create(
    *, acting_user: User, application_ids: Sequence[int], execution_date: date
) -> PayoutBatch:
    """A draft batch of one cooperative's payable applications. Every application is checked
    and locked; the first that cannot be paid is named in the refusal."""
    ids = list(application_ids)
    if not ids or len(set(ids)) != len(ids) or len(ids) > MAX_ITEMS:
        raise errors.PayoutBatchEmpty(extra={"max_items": MAX_ITEMS})
    today = timezone.localdate()
    if not today <= execution_date <= today + timedelta(days=365):
        raise errors.ExecutionDateInvalid(extra={"field": "execution_date"})
    mine = role_cooperative_ids(user=acting_user, role=Membership.Role.TREASURER)
    if mine is not None and not mine:
        raise errors.NotTreasurer()
    with transaction.atomic():
        payable = Application.objects.select_for_update(of=("self",)).select_related(
            "fund__cooperative"
        )
        if mine is not None:
            # Another cooperative's application answers as one that does not exist.
            payable = payable.filter(fund__cooperative_id__in=mine)
        applications = list(payable.filter(pk__in=ids).order_by("pk"))
        found = {a.pk for a in applications}
        for pk in ids:
            if pk not in found:
                raise errors.NotPayable(extra={"application": pk, "status": None})
        cooperatives = {a.fund.cooperative for a in applications}
        if len(cooperatives) > 1:
            raise errors.PayoutMixedCooperatives()
        (cooperative,) = cooperatives
        if not cooperative.iban or not cooperative.bank_account_name:
            raise errors.CooperativeBankMissing()
        for application in applications:
            _check_payable(application)
            other = open_item_of(application)
            if other is not None:
                raise errors.InPayoutBatch(
                    extra={"application": application.pk, "batch": other.batch_id}
                )
        batch = PayoutBatch.objects.create(
            cooperative=cooperative, execution_date=execution_date, created_by=acting_user
        )
        try:
            with transaction.atomic():
                PayoutItem.objects.bulk_create(
                    PayoutItem(
                        batch=batch,
                        application=application,
                        grant_cents=application.amount_requested_cents,
                        end_to_end_id=application.payment_reference,
                        remittance=remittance_of(application),
                    )
                    for application in applications
                )
        except IntegrityError:
            raise errors.InPayoutBatch() from None
        audit_log(
            actor=acting_user,
            action="payout_batch_created",
            obj=batch,
            data={"applications": ids, "execution_date": execution_date.isoformat()},
        )
    return batch


def _batch_locked(batch: PayoutBatch) -> PayoutBatch:
    return (
        PayoutBatch.objects.select_for_update(of=("self",))
        .select_related("cooperative")
        .get(pk=batch.pk)
    )


def _sepa_file(batch: PayoutBatch, items: Sequence[PayoutItem]) -> tuple[bytes, str]:
    cooperative = batch.cooperative
    config = {
        "name": sepa_text(cooperative.bank_account_name, 70),
        "IBAN": cooperative.iban,
        "batch": False,  # one payment per transfer: the statement shows each one
        "currency": "EUR",
    }
    bic = cooperative.bic or bic_of(cooperative.iban)
    if bic:
        config["BIC"] = bic
    sepa = SepaTransfer(config, schema=SEPA_SCHEMA, clean=False)
    for item in items:
        payment = {
            "name": sepa_text(item.payee_name, 70),
            "IBAN": item.payee_iban,
            "amount": item.amount_cents,
            "execution_date": batch.execution_date,
            "description": item.remittance,
            "endtoend_id": item.end_to_end_id,
        }
        payee_bic = bic_of(item.payee_iban)
        if payee_bic:
            payment["BIC"] = payee_bic
        sepa.add_payment(payment)
    try:
        return sepa.export(validate=True), sepa.msg_id
    except SepaValidationError:
        raise errors.SepaFileInvalid() from None


def payout_batch_export(*, batch: PayoutBatch, acting_user: User) -> PayoutBatch:
    """Fix the batch and make its SEPA file, once. From now on the payees of its applications
    cannot change. Exporting an exported batch changes nothing."""
    with transaction.atomic():
        batch = _batch_locked(batch)
        _require_treasurer(acting_user, batch.cooperative)
        if batch.status == PayoutBatch.Status.EXPORTED:
            return batch
        if not can_proceed(batch.export):
            raise errors.PayoutBatchState(extra={"status": batch.status})
        cooperative = batch.cooperative
        if not cooperative.iban or not cooperative.bank_account_name:
            raise errors.CooperativeBankMissing()
        if batch.execution_date < timezone.localdate():
            # A bank refuses a date that has passed: cancel and make a new batch.
            raise errors.ExecutionDateInvalid(extra={"execution_date": str(batch.execution_date)})
        items = list(batch.items.filter(open=True).order_by("pk"))
        if not items:
            raise errors.PayoutBatchEmpty()
        for item in items:
            application = application_lock(item.application_id)
            assert application is not None  # noqa: S101 (PROTECT keeps it)
            _check_payable(application)
            received, paid = topups_payable_cents(application.earmark)
            item.grant_cents = application.amount_requested_cents
            item.topups_cents = max(received - paid, 0)
            item.payee_name = application.payee_name
            item.payee_iban = application.payee_iban
            item.end_to_end_id = application.payment_reference
            item.remittance = remittance_of(application)
            item.save(
                update_fields=[
                    "grant_cents",
                    "topups_cents",
                    "payee_name",
                    "payee_iban",
                    "end_to_end_id",
                    "remittance",
                ]
            )
        content, message_id = _sepa_file(batch, items)
        PayoutFile.objects.create(
            batch=batch,
            content=content,
            sha256=hashlib.sha256(content).hexdigest(),
            message_id=message_id,
        )
        batch.export()
        batch.exported_at = timezone.now()
        batch.save(update_fields=["status", "exported_at"])
        audit_log(
            actor=acting_user,
            action="payout_batch_exported",
            obj=batch,
            data={
                "message_id": message_id,
                "items": len(items),
                "total_cents": sum(i.amount_cents for i in items),
            },
        )
    return batch


def payout_file_download(*, batch: PayoutBatch, acting_user: User) -> PayoutFile:
    """The stored SEPA file (it holds full IBANs): the treasurer only, every download
    audited."""
    _require_treasurer(acting_user, batch.cooperative)
    file = PayoutFile.objects.filter(batch=batch).first()
    if file is None:
        raise errors.PayoutBatchState(extra={"status": batch.status})
    audit_log(
        actor=acting_user,
        action="payout_file_downloaded",
        obj=batch,
        data={"sha256": file.sha256},
    )
    return file


def _settle_batch_if_done(batch: PayoutBatch) -> None:
    if batch.status == PayoutBatch.Status.EXPORTED and not batch.items.filter(open=True).exists():
        batch.confirm()
        batch.settled_at = timezone.now()
        batch.save(update_fields=["status", "settled_at"])


def _entry_key(item: PayoutItem, part: str) -> str:
    return f"application:{item.application_id}:payout:{item.pk}{part}"


@transaction.atomic
def payout_item_paid(
    *, item: PayoutItem, actor: User | None, on: date | None = None, source: str
) -> bool:
    """The bank paid this transfer: book it as ``pay`` books a grant. False when it was
    settled already (paid or returned). Locks batch, item and application, in that order."""
    PayoutBatch.objects.select_for_update(of=("self",)).get(pk=item.batch_id)
    item = PayoutItem.objects.select_for_update(of=("self",)).get(pk=item.pk)
    if item.status != PayoutItem.Status.PENDING:
        return False
    application = application_lock(item.application_id)
    assert application is not None  # noqa: S101
    if application.status not in PAYABLE:
        # Paid some other way meanwhile: nothing to book twice.
        return False
    _post_money(
        application,
        "payout",
        cause=f"payout:{item.pk}",
        actor=actor,
        amount_cents=item.grant_cents,
        on=on,
    )
    if item.topups_cents:
        _post_money(
            application,
            "topup_payout",
            cause=f"payout:{item.pk}:topups",
            actor=actor,
            amount_cents=item.topups_cents,
            on=on,
        )
    _transition(application, "pay", actor=actor, reason=f"payout batch {item.batch_id}")
    item.status = PayoutItem.Status.PAID
    item.open = False
    item.settled_at = timezone.now()
    item.save(update_fields=["status", "open", "settled_at"])
    audit_log(
        actor=actor,
        action="payout_item_paid",
        obj=application,
        data={"batch": item.batch_id, "item": item.pk, "source": source},
    )
    _settle_batch_if_done(item.batch)
    return True


@transaction.atomic
def payout_item_returned(
    *, item: PayoutItem, actor: User | None, reason: str, on: date | None = None
) -> bool:
    """The bank sent this transfer back (a wrong or closed account). If it was booked as paid,
    the booking is reversed and the grant is owed again; the payee must be corrected before
    the next batch, and the treasurer and the applicant are told. False when it was returned
    already."""
    PayoutBatch.objects.select_for_update(of=("self",)).get(pk=item.batch_id)
    item = PayoutItem.objects.select_for_update(of=("self",)).get(pk=item.pk)
    if item.status not in (PayoutItem.Status.PENDING, PayoutItem.Status.PAID):
        return False
    application = application_lock(item.application_id)
    assert application is not None  # noqa: S101
    if item.status == PayoutItem.Status.PAID:
        if application.status != Application.Status.PAID:
            return False  # reported already: a person must look at it
        for part in ("", ":topups"):
            entry = JournalEntry.objects.filter(idempotency_key=_entry_key(item, part)).first()
            if entry is not None:
                entry_reverse(
                    entry=entry,
                    reason=f"teruggestort door de bank ({reason})"[:200],
                    actor_id=actor.pk if actor else None,
                    on=on,
                )
        _transition(application, "payout_return", actor=actor, reason=reason)
    application.payee_check_needed = True
    application.save(update_fields=["payee_check_needed"])
    item.status = PayoutItem.Status.RETURNED
    item.open = False
    item.return_reason = reason[:35]
    item.settled_at = timezone.now()
    item.save(update_fields=["status", "open", "return_reason", "settled_at"])
    audit_log(
        actor=actor,
        action="payout_item_returned",
        obj=application,
        data={
            "batch": item.batch_id,
            "item": item.pk,
            "reason": reason[:35],
            "account": mask_iban(item.payee_iban) if item.payee_iban else "",
        },
    )
    enqueue_on_commit(tasks.notify_payout_returned, item.pk)
    _settle_batch_if_done(item.batch)
    return True


def payout_batch_confirm(*, batch: PayoutBatch, acting_user: User) -> PayoutBatch:
    """The treasurer confirms the bank executed the whole batch: every open transfer is
    booked as paid."""
    with transaction.atomic():
        batch = _batch_locked(batch)
        _require_treasurer(acting_user, batch.cooperative)
        if batch.status == PayoutBatch.Status.CONFIRMED:
            return batch
        if batch.status != PayoutBatch.Status.EXPORTED:
            raise errors.PayoutBatchState(extra={"status": batch.status})
        paid = 0
        for item in batch.items.filter(open=True).order_by("pk"):
            paid += payout_item_paid(item=item, actor=acting_user, source="confirm")
        batch.refresh_from_db(fields=["status"])
        if batch.status == PayoutBatch.Status.EXPORTED:
            # Items no longer payable (paid one by one meanwhile) close with the batch.
            batch.items.filter(open=True).update(open=False, status=PayoutItem.Status.CANCELLED)
            batch.confirm()
            batch.settled_at = timezone.now()
            batch.save(update_fields=["status", "settled_at"])
        audit_log(
            actor=acting_user, action="payout_batch_confirmed", obj=batch, data={"paid": paid}
        )
    return batch


def payout_batch_cancel(*, batch: PayoutBatch, acting_user: User, reason: str) -> PayoutBatch:
    """The treasurer cancels a batch the bank did not execute: its applications are free for
    another batch (and their payees may be corrected). Refused once a transfer is settled."""
    with transaction.atomic():
        batch = _batch_locked(batch)
        _require_treasurer(acting_user, batch.cooperative)
        if not can_proceed(batch.cancel):
            raise errors.PayoutBatchState(extra={"status": batch.status})
        if batch.items.exclude(
            status__in=(PayoutItem.Status.PENDING, PayoutItem.Status.CANCELLED)
        ).exists():
            raise errors.PayoutItemsSettled()
        batch.items.filter(open=True).update(open=False, status=PayoutItem.Status.CANCELLED)
        batch.cancel()
        batch.settled_at = timezone.now()
        batch.save(update_fields=["status", "settled_at"])
        audit_log(
            actor=acting_user,
            action="payout_batch_cancelled",
            obj=batch,
            data={"reason": reason[:500]},
        )
    return batch
