from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from standards.forms import PortalForm

from .models import Commendation


class ProposeForm(PortalForm):
    year = forms.TypedChoiceField(label=_("Year"), coerce=int, choices=())
    kind = forms.ChoiceField(label=_("Kind"), choices=Commendation.Kind.choices)
    name = forms.CharField(
        label=_("Name"), max_length=200, help_text=_("The unit's name, the person's name, or the practice's title.")
    )
    affiliation = forms.CharField(
        label=_("Unit or community (optional)"),
        max_length=200,
        required=False,
        help_text=_("For an individual: where they work. For a practice: the community or unit behind it."),
    )
    reason = forms.CharField(
        label=_("Reason for the commendation"), max_length=5000, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args: Any, years: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["year"]).choices = [(y, str(y)) for y in reversed(years)]


class DeclineForm(PortalForm):
    reason = forms.CharField(label=_("Reason for declining"), max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))


class ApproveForm(PortalForm):
    reason = forms.CharField(
        label=_("Comments (optional)"), max_length=5000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
