from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext_lazy as _

from greencommunity.widgets import DateInput
from reporting.models import Enrolment

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class EnrolForm(forms.Form):
    kind = forms.ChoiceField(label=_("Enrol as"), choices=Enrolment.Kind.choices)
    joined_on = forms.DateField(label=_("Joined on"), widget=DateInput)


class WithdrawForm(forms.Form):
    withdrawn_on = forms.DateField(label=_("Withdrawn on"), widget=DateInput)
    reason = forms.CharField(label=_("Reason"), max_length=200)
    confirm = forms.BooleanField(
        label=_("I understand the community leaves the campaign from this date"),
        error_messages={"required": _("Tick the box to confirm the withdrawal.")},
    )


class NarrativeForm(forms.Form):
    """A report's narrative; the fields shown depend on the report's kind (see reporting.reports.narrative)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(
        self, *args: Any, fields: Sequence[tuple[str, StrOrPromise]], readonly: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        for name, label in fields:
            self.fields[name] = forms.CharField(
                label=label,
                required=False,
                max_length=20000,
                widget=forms.Textarea(
                    attrs={"rows": 5, "data-draft": name, **({"readonly": True} if readonly else {})}
                ),
            )


class PlanTargetForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    communities = forms.IntegerField(label=_("Communities to meet the standard"), min_value=0, max_value=100000)
    pilots_per_street = forms.IntegerField(label=_("Pilots per subdistrict"), min_value=0, max_value=100, initial=0)


class WorkAssignmentForm(forms.Form):
    task = forms.CharField(label=_("Task"), max_length=300)
    unit = forms.CharField(label=_("Responsible unit"), max_length=100)
    due_on = forms.DateField(label=_("Deadline"), required=False, widget=DateInput)


PlanTargetFormSet = forms.formset_factory(PlanTargetForm, extra=1, can_delete=True, max_num=20, validate_max=True)
WorkAssignmentFormSet = forms.formset_factory(
    WorkAssignmentForm, extra=2, can_delete=True, max_num=100, validate_max=True
)


class CommentForm(forms.Form):
    comment = forms.CharField(label=_("Comments"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3}))


class UnlockForm(forms.Form):
    reason = forms.CharField(label=_("Reason for unlocking"), max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))
    confirm = forms.BooleanField(
        label=_("I understand the report goes back to its filer for changes"),
        error_messages={"required": _("Tick the box to confirm unlocking.")},
    )
