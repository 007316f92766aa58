"""Forms of the supervision pages. They check input; every write goes through `services`."""

from __future__ import annotations

import re
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from districts.models import Community, District
from greencommunity.widgets import DateInput
from reporting.campaigns.selectors import current_standard_items
from standards.forms import PortalForm
from standards.models import StandardItem

from .models import Supervision

CODE_SPLIT = re.compile(r"[\s,，、;；]+")
FILE_ACCEPT = "image/*,.pdf,.doc,.docx,.xls,.xlsx,.ppt,.pptx"


class ItemChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, item: StandardItem) -> str:
        return f"{item.number}. {item.text}"


class ItemsField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, item: StandardItem) -> str:
        return f"{item.number}. {item.text}"


class SupervisionForm(PortalForm):
    kind = forms.ChoiceField(
        label=_("Kind"), choices=Supervision.Kind.choices, error_messages={"required": _("Choose the kind.")}
    )
    title = forms.CharField(
        label=_("Subject"), max_length=120, error_messages={"required": _("Give the supervision a subject.")}
    )
    held_on = forms.DateField(
        label=_("Date"), widget=DateInput, error_messages={"required": _("Give the date of the supervision.")}
    )
    districts = forms.ModelMultipleChoiceField(
        label=_("Target districts"),
        queryset=District.objects.order_by("code"),
        to_field_name="code",
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one district the supervision concerns.")},
    )
    communities = forms.CharField(
        label=_("Communities (optional)"),
        required=False,
        max_length=2000,
        help_text=_("Their 12-digit division codes, separated by spaces or commas."),
    )
    items = ItemsField(
        label=_("Standard items concerned"),
        queryset=current_standard_items(),
        to_field_name="number",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    participants = forms.CharField(
        label=_("Participants"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )
    summary = forms.CharField(
        label=pgettext_lazy("supervision", "Summary"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def clean_communities(self) -> list[Community]:
        codes = [code for code in CODE_SPLIT.split(self.cleaned_data.get("communities", "")) if code]
        bad = [code for code in codes if not (code.isdigit() and len(code) == 12)]
        if bad:
            raise forms.ValidationError(
                _("A community is given by its 12-digit division code; not one: %(codes)s.")
                % {"codes": "、".join(bad[:5])}
            )
        found = {c.code: c for c in Community.objects.filter(code__in=codes)}
        missing = [code for code in codes if code not in found]
        if missing:
            raise forms.ValidationError(
                _("There is no community with the code %(code)s.") % {"code": "、".join(missing[:5])}
            )
        return [found[code] for code in dict.fromkeys(codes)]


class _PlaceForm(PortalForm):
    """A district among the action's targets, and optionally one of its communities by code."""

    district = forms.ModelChoiceField(label=_("District"), queryset=District.objects.none(), to_field_name="code")
    community = forms.CharField(label=_("Community code (optional)"), required=False, max_length=12)

    def __init__(self, *args: Any, supervision: Supervision, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["district"]).queryset = supervision.districts.order_by("code")

    def clean_community(self) -> Community | None:
        code = self.cleaned_data.get("community", "").strip()
        if not code:
            return None
        community = Community.objects.select_related("district").filter(code=code).first()
        if community is None:
            raise forms.ValidationError(_("There is no community with the code %(code)s.") % {"code": code[:12]})
        return community


class FindingForm(_PlaceForm):
    item = ItemChoiceField(
        label=_("Item"),
        queryset=current_standard_items(),
        to_field_name="number",
        error_messages={"required": _("Choose the standard item the finding is about.")},
    )
    text = forms.CharField(
        label=pgettext_lazy("supervision", "Finding"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Write down what was found.")},
    )
    file = forms.FileField(label=_("Photo (optional)"), required=False)
    caption = forms.CharField(label=_("Caption"), required=False, max_length=200)

    field_order = ["item", "district", "community", "text", "file", "caption"]

    def __init__(self, *args: Any, supervision: Supervision, **kwargs: Any) -> None:
        super().__init__(*args, supervision=supervision, **kwargs)
        self.fields["district"].required = False
        self.fields["district"].label = _("District (optional)")
        listed = supervision.items.order_by("number")
        if listed.exists():
            cast(forms.ModelChoiceField, self.fields["item"]).queryset = listed


class RequiredActionForm(_PlaceForm):
    item = ItemChoiceField(
        label=_("Item (optional)"),
        queryset=current_standard_items(),
        to_field_name="number",
        required=False,
    )
    text = forms.CharField(
        label=_("What the district must do"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Say what the district must do.")},
    )
    due_on = forms.DateField(
        label=pgettext_lazy("supervision", "Deadline"),
        widget=DateInput,
        error_messages={"required": _("Give the deadline.")},
    )

    set_on = forms.DateField(
        label=_("Set on"),
        widget=DateInput,
        required=False,
        help_text=_("Leave empty for today; an earlier day for a requirement recorded afterwards."),
    )

    field_order = ["district", "community", "item", "text", "due_on", "set_on"]

    def __init__(self, *args: Any, supervision: Supervision, **kwargs: Any) -> None:
        super().__init__(*args, supervision=supervision, **kwargs)
        self.fields["district"].error_messages["required"] = _("Choose the district that must act.")
        self.fields["district"].error_messages["invalid_choice"] = _(
            "Choose one of the districts this supervision concerns."
        )


class AnswerForm(PortalForm):
    text = forms.CharField(
        label=pgettext_lazy("supervision", "What was done"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Say what was done before answering.")},
    )
    file = forms.FileField(label=_("Photo or document (optional)"), required=False)
    caption = forms.CharField(label=_("Caption"), required=False, max_length=200)
    on = forms.DateField(label=_("Date of the answer"), widget=DateInput, required=False)


class CloseForm(PortalForm):
    note = forms.CharField(label=_("Note (optional)"), required=False, max_length=2000)
    on = forms.DateField(label=_("Date closed"), widget=DateInput, required=False)
    confirm = forms.BooleanField(
        label=_("Close it: the answer is accepted and the action cannot be reopened"),
        error_messages={"required": _("Tick the box to confirm closing it.")},
    )


class ReturnForm(PortalForm):
    reason = forms.CharField(
        label=_("Reason for sending it back"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Give the reason for sending it back.")},
    )
    confirm = forms.BooleanField(
        label=_("Send it back to the district, which must answer again"),
        error_messages={"required": _("Tick the box to confirm sending it back.")},
    )
