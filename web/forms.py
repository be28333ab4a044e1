"""The residents' forms. Amounts are typed in euros and kept in cents, exactly."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib.auth.forms import PasswordChangeForm
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from community.models import Neighbourhood
from grants.models import Fund, Priority


class EuroField(forms.DecimalField):
    """Euros with at most two decimals ("350" or "350,50"), cleaned to integer cents."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", Decimal("0"))
        kwargs.setdefault("max_value", Decimal("1000000"))
        super().__init__(max_digits=9, decimal_places=2, localize=True, **kwargs)
        self.widget.attrs.update({"inputmode": "decimal", "autocomplete": "off"})

    def clean(self, value: Any) -> int | None:  # type: ignore[override]
        cleaned = super().clean(value)
        return None if cleaned is None else int(cleaned * 100)


class SignupForm(forms.Form):
    username = forms.RegexField(
        label=_("User name"),
        regex=r"^[\w.@+-]+\Z",
        max_length=150,
        help_text=_("Letters, digits and . @ + - _ only. Others see it next to nothing."),
        widget=forms.TextInput(attrs={"autocomplete": "username"}),
    )
    email = forms.EmailField(
        label=_("E-mail address"),
        max_length=254,
        help_text=_("Only to reset your password and to tell you about your applications."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    password = forms.CharField(
        label=_("Password"),
        max_length=128,
        strip=False,
        help_text=_("At least 8 characters, not only digits."),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Residence code"),
        max_length=64,
        help_text=_("The code from the letter your cooperative sent to your address."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autocapitalize": "none"}),
    )


class VoteForm(forms.Form):
    # No "required" on the radios: browsers style an unchosen required radio as an error.
    use_required_attribute = False

    choice = forms.ChoiceField(
        label=_("Your vote"),
        choices=[("yes", _("Yes, give the money")), ("no", _("No"))],
        widget=forms.RadioSelect,
    )


class ReceiptForm(forms.Form):
    receipt = forms.CharField(
        label=_("Receipt"),
        max_length=200,
        help_text=_("The receipt you got when you voted."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )


class ApplicationForm(forms.Form):
    title = forms.CharField(label=_("Title of your plan"), max_length=200)
    summary = forms.CharField(
        label=_("What do you want to do, and for whom?"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    amount_requested = EuroField(
        label=_("Amount you ask from the fund (euros)"), min_value=Decimal("1")
    )
    total_budget = EuroField(label=_("What the whole plan costs (euros)"))
    own_contribution = EuroField(
        label=_("Your own contribution (euros)"),
        help_text=_("Money or value you bring yourself, for example from neighbours or a sponsor."),
    )
    priorities = forms.ModelMultipleChoiceField(
        label=_("Which of the buurt's priorities does it serve?"),
        queryset=Priority.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    payee_name = forms.CharField(
        label=_("Name of the account holder"), max_length=200, required=False
    )
    payee_iban = forms.CharField(
        label=_("IBAN for the payment"),
        max_length=40,
        required=False,
        help_text=_("Needed before the money is paid; you can add it later."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def __init__(self, *args: Any, fund: Fund, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fund = fund
        priorities = self.fields["priorities"]
        assert isinstance(priorities, forms.ModelMultipleChoiceField)  # noqa: S101
        priorities.queryset = Priority.objects.filter(neighbourhood=fund.neighbourhood).order_by(
            "-year", "rank"
        )
        if not priorities.queryset.exists():
            del self.fields["priorities"]  # the buurt has ranked none: nothing to choose
        percent = formats.number_format(fund.own_contribution_percent.normalize())
        self.fields["own_contribution"].help_text = _(
            "At least %(percent)s percent of what the whole plan costs. Money or value you bring "
            "yourself, for example from neighbours or a sponsor."
        ) % {"percent": percent}
        self.fields["amount_requested"].help_text = _("At most %(max)s.") % {
            "max": f"€ {fund.max_request_cents // 100}"
        }


class DeskResidentForm(forms.Form):
    first_name = forms.CharField(label=_("First name"), max_length=150)
    last_name = forms.CharField(label=_("Last name"), max_length=150)
    neighbourhood = forms.ModelChoiceField(label=_("Buurt"), queryset=Neighbourhood.objects.none())
    code = forms.CharField(
        label=_("Residence code from the letter"),
        max_length=64,
        required=False,
        help_text=_("Leave empty if the resident has no letter but showed proof of address."),
    )
    seen_proof = forms.BooleanField(
        label=_("I saw proof of this address (without a code)"), required=False
    )

    def __init__(self, *args: Any, buurten: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["neighbourhood"]
        assert isinstance(field, forms.ModelChoiceField)  # noqa: S101
        field.queryset = buurten
        if len(buurten) == 1:
            field.initial = buurten[0]  # the one buurt this coordinator serves

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("code") and not data.get("seen_proof"):
            self.add_error(
                "seen_proof", _("Without a code, confirm that you saw proof of address.")
            )
        return data


class PaperBallotForm(forms.Form):
    resident = forms.TypedChoiceField(label=_("Resident"), coerce=int, widget=forms.RadioSelect)
    choice = forms.ChoiceField(
        label=_("Choice on the paper ballot"),
        choices=[("yes", _("Yes")), ("no", _("No"))],
        widget=forms.RadioSelect,
    )
    form_number = forms.RegexField(
        label=_("Number of the paper form"),
        regex=r"^[A-Za-z0-9-]{1,32}$",
        help_text=_("With this number a wrong entry can be corrected later."),
    )
    use_required_attribute = False

    def __init__(self, *args: Any, residents: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["resident"]
        assert isinstance(field, forms.TypedChoiceField)  # noqa: S101
        field.choices = residents


class PaperApplicationForm(ApplicationForm):
    paper_applicant_name = forms.CharField(
        label=_("Name of the resident it is for"), max_length=200
    )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field (Django's documented pattern); cleaned to a list."""

    def clean(self, data: Any, initial: Any = None) -> list[Any]:  # type: ignore[override]
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data if item]
        return [single(data, initial)] if data else []


class ReportForm(forms.Form):
    summary = forms.CharField(
        label=_("What was done, and how did it go?"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    spent = EuroField(label=_("What you spent of the grant (euros)"))
    receipts = MultipleFileField(
        label=_("Receipts (PDF, JPEG or PNG)"),
        required=False,
        help_text=_(
            "Photos or scans of the receipts. Money you did not spend goes back to the fund."
        ),
        widget=MultipleFileInput(attrs={"accept": "application/pdf,image/jpeg,image/png"}),
    )


class OwnPasswordForm(PasswordChangeForm):
    """A new password after the current one (on a shared computer nobody else sets it),
    never the printed one-time password again."""

    def clean_new_password1(self) -> str:
        password = self.cleaned_data.get("new_password1") or ""
        if password and self.user.check_password(password):
            raise forms.ValidationError(
                _("Choose a password other than your current one."), code="password_same"
            )
        return password
