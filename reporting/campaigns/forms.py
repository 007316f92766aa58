from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from greencommunity.widgets import DateInput
from reporting.models import Milestone
from standards.forms import PortalForm
from standards.models import StandardCategory, StandardVersion


class CampaignForm(PortalForm):
    name = forms.CharField(label=_("Name"), max_length=100)
    issued_by = forms.CharField(label=_("Issuing body"), max_length=100)
    starts_on = forms.DateField(label=_("Starts on"), widget=DateInput)
    ends_on = forms.DateField(label=_("Ends on"), widget=DateInput)
    monthly_due_day = forms.IntegerField(
        label=_("Monthly report due on day"),
        min_value=1,
        max_value=28,
        initial=5,
        help_text=_("Of the month after the one reported."),
    )
    annual_month = forms.IntegerField(label=_("Annual report due: month"), min_value=1, max_value=12, required=False)
    annual_day = forms.IntegerField(label=_("Annual report due: day"), min_value=1, max_value=28, required=False)
    copy_from = forms.ModelChoiceField(
        label=_("Standard to copy"),
        queryset=StandardVersion.objects.order_by("-created_at", "-pk"),
        empty_label=None,
        help_text=_("The new campaign gets its own copy, which you edit on the next page."),
    )
    standard_name = forms.CharField(label=_("Name of the new standard"), max_length=100)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if bool(data.get("annual_month")) != bool(data.get("annual_day")):
            raise forms.ValidationError(_("Give both the month and the day of the annual report, or neither."))
        return data


class PhaseForm(PortalForm):
    name = forms.CharField(label=_("Phase"), max_length=64)
    starts_on = forms.DateField(label=_("Starts on"), widget=DateInput)
    ends_on = forms.DateField(label=_("Ends on"), widget=DateInput)


class MilestoneForm(PortalForm):
    name = forms.CharField(label=_("Milestone"), max_length=100)
    # An empty first choice, so a blank extra row of the formset is left out rather than checked.
    kind = forms.ChoiceField(label=_("Kind"), choices=[("", "—"), *Milestone.Kind.choices])
    due_on = forms.DateField(label=_("Due on"), widget=DateInput)
    target_share = forms.DecimalField(
        label=_("Target share"), min_value=0, max_value=1, decimal_places=3, max_digits=4, required=False
    )
    min_pilots_per_street = forms.IntegerField(
        label=_("Pilots per subdistrict"), min_value=1, max_value=100, required=False
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") == Milestone.Kind.MET_SHARE and data.get("target_share") is None:
            raise forms.ValidationError(_("A share milestone needs its target share, e.g. 0.6."))
        if data.get("kind") == Milestone.Kind.PILOTS_PER_STREET and not data.get("min_pilots_per_street"):
            raise forms.ValidationError(_("A pilots milestone needs the number of pilots per subdistrict."))
        return data


PhaseFormSet = forms.formset_factory(PhaseForm, extra=3, max_num=10, validate_max=True)
MilestoneFormSet = forms.formset_factory(MilestoneForm, extra=2, max_num=10, validate_max=True)


class ItemForm(PortalForm):
    text = forms.CharField(label=_("Standard"), max_length=200)
    category = forms.ModelChoiceField(label=_("Category"), queryset=StandardCategory.objects.none(), empty_label=None)
    allows_not_applicable = forms.BooleanField(label=_("May be not applicable"), required=False)

    def __init__(
        self, *args: Any, version: StandardVersion, categories: list[StandardCategory] | None = None, **kwargs: Any
    ) -> None:
        """`categories`, the version's categories already read, gives the choices without a query of each form's own
        (a page shows a form for every item); the choice is still checked against the version's categories."""
        super().__init__(*args, **kwargs)
        field = self.fields["category"]
        field.queryset = version.categories.order_by("number")  # type: ignore[attr-defined]
        if categories is not None:
            field.choices = [(c.pk, field.label_from_instance(c)) for c in categories]  # type: ignore[attr-defined]
