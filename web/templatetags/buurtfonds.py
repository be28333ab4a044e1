"""Money and time as residents read them: "€ 350,00", "sluit vandaag om 16:05"."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django import template
from django.utils import formats, timezone
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def euro(cents: int | None) -> str:
    """Integer cents as euros in the active language's number format."""
    if cents is None:
        return "–"
    sign = "-" if cents < 0 else ""
    whole, part = divmod(abs(int(cents)), 100)
    amount = formats.number_format(whole, force_grouping=True)
    separator = formats.get_format("DECIMAL_SEPARATOR")
    return f"{sign}€\u00a0{amount}{separator}{part:02d}"


@register.filter
def closes_in_words(moment: datetime | None) -> str:
    """When a vote closes, in words: today, tomorrow, or the date, with the time."""
    if moment is None:
        return ""
    local = timezone.localtime(moment)
    now = timezone.localtime()
    at = local.strftime("%H:%M")
    if local <= now:
        return _("closed at %(time)s on %(date)s") % {
            "time": at,
            "date": formats.date_format(local, "j F"),
        }
    if local.date() == now.date():
        return _("closes today at %(time)s") % {"time": at}
    if local.date() == now.date() + timedelta(days=1):
        return _("closes tomorrow at %(time)s") % {"time": at}
    return _("closes on %(date)s at %(time)s") % {
        "date": formats.date_format(local, "l j F"),
        "time": at,
    }


CHOICE_WIDGETS = ("RadioSelect", "CheckboxSelectMultiple")
WIDGET_CLASSES = {
    "Textarea": "utrecht-textarea utrecht-textarea--html-textarea",
    "Select": "utrecht-select utrecht-select--html-select",
    "RadioSelect": "utrecht-radio-button utrecht-radio-button--html-input",
    "CheckboxSelectMultiple": "utrecht-checkbox utrecht-checkbox--html-input",
}


@register.inclusion_tag("web/field.html")
def field(bound: Any) -> dict[str, Any]:
    """A form field with its label, its description and its error tied to the input
    (aria-describedby, aria-invalid), in the NL Design System's form field."""
    widget = type(bound.field.widget).__name__
    help_id, error_id = f"{bound.auto_id}-help", f"{bound.auto_id}-error"
    described = [i for i, on in ((help_id, bound.help_text), (error_id, bound.errors)) if on]
    attrs: dict[str, str] = {
        "class": WIDGET_CLASSES.get(widget, "utrecht-textbox utrecht-textbox--html-input")
    }
    if bound.errors and widget not in CHOICE_WIDGETS:
        attrs["class"] += " utrecht-textbox--invalid"
    if described:
        attrs["aria-describedby"] = " ".join(described)
    if bound.errors:
        attrs["aria-invalid"] = "true"
    if bound.field.required and widget not in CHOICE_WIDGETS:
        attrs["required"] = "required"
    if widget in CHOICE_WIDGETS:
        # Each option is rendered on its own (field.html): the class goes on the widget.
        bound.field.widget.attrs["class"] = attrs["class"]
    return {
        "field": bound,
        "kind": "radio" if widget == "RadioSelect" else "checkbox",
        "widget": "" if widget in CHOICE_WIDGETS else bound.as_widget(attrs=attrs),
        "help_id": help_id,
        "error_id": error_id,
        "group": widget in CHOICE_WIDGETS,
    }
