"""Forms of the experience pages. They check input; every write goes through `services`."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from districts.models import Community, District
from greencommunity.widgets import DateInput, QuickSelect
from reporting.campaigns.selectors import current_standard_items
from standards.forms import PortalForm

from .models import ExchangeEvent


class CommunityChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Community) -> str:
        return f"{obj.street.name} · {obj.name}"


class CaseForm(PortalForm):
    title = forms.CharField(label=_("Title"), max_length=200)
    communities = CommunityChoice(
        label=_("Communities"),
        queryset=Community.objects.none(),
        help_text=_("Hold Ctrl (or Cmd) to choose more than one."),
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    items = forms.ModelMultipleChoiceField(
        label=_("Standard items addressed"),
        queryset=current_standard_items(),
        widget=forms.CheckboxSelectMultiple,
    )
    measures = forms.CharField(label=_("Main measures"), max_length=10000, widget=forms.Textarea(attrs={"rows": 6}))
    results = forms.CharField(
        label=_("Results"),
        max_length=10000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Needed before submitting."),
    )
    # No lower bound here: the service refuses a negative cost in its own words.
    cost = forms.DecimalField(label=_("Cost (yuan, optional)"), required=False, max_digits=14, decimal_places=2)

    def __init__(self, *args: Any, district: District, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["communities"]).queryset = (
            Community.objects.filter(district=district).select_related("street").order_by("street__code", "code")
        )


class SearchForm(forms.Form):
    q = forms.CharField(label=_("Keyword"), max_length=50, required=False)
    item = forms.ModelChoiceField(
        label=_("Standard item"),
        queryset=current_standard_items(),
        required=False,
        to_field_name="number",
        empty_label=_("All items"),
    )
    district = forms.ModelChoiceField(
        label=_("District"),
        queryset=District.objects.order_by("code"),
        required=False,
        to_field_name="code",
        empty_label=_("All districts"),
        widget=QuickSelect,
    )
    status = forms.CharField(required=False, max_length=16)


class ReturnForm(PortalForm):
    comment = forms.CharField(label=_("Comments"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))


class EventChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: ExchangeEvent) -> str:
        return f"{obj.held_on:%Y-%m-%d} {obj.title}"


class PublishForm(PortalForm):
    comment = forms.CharField(
        label=_("Comments (optional)"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    replicable = forms.BooleanField(label=_("Replicable and worth spreading (可复制可推广)"), required=False)
    event = EventChoice(
        label=_("Shown at (optional)"), queryset=ExchangeEvent.objects.all(), required=False, empty_label="—"
    )
    confirm = forms.BooleanField(
        label=_("I understand everyone signed in will be able to read the case once it is published"),
        error_messages={"required": _("Tick the box to confirm publishing.")},
    )


class PromoteForm(PortalForm):
    replicable = forms.BooleanField(label=_("Replicable and worth spreading (可复制可推广)"), required=False)
    event = EventChoice(
        label=_("Shown at (optional)"), queryset=ExchangeEvent.objects.all(), required=False, empty_label="—"
    )


class EventForm(PortalForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=ExchangeEvent.Kind.choices)
    title = forms.CharField(label=_("Title"), max_length=200)
    held_on = forms.DateField(label=_("Held on"), widget=DateInput)
    host = forms.CharField(label=_("Host"), max_length=200)
    communities = forms.CharField(
        label=_("Communities visited (division codes)"),
        required=False,
        max_length=2000,
        help_text=_("One or more 12-digit codes, separated by spaces or commas."),
    )
    attendees = forms.CharField(label=_("Attendees"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def clean_communities(self) -> list[Community]:
        codes = [c for c in self.cleaned_data["communities"].replace("，", ",").replace(",", " ").split() if c]
        found = {c.code: c for c in Community.objects.filter(code__in=codes)}
        unknown = [c for c in codes if c not in found]
        if unknown:
            raise forms.ValidationError(
                _("No community has the code %(codes)s.") % {"codes": "、".join(u[:20] for u in unknown[:5])}
            )
        return [found[c] for c in dict.fromkeys(codes)]
