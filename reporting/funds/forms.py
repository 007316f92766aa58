from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from districts.models import Community, District

from .models import AMOUNT_DIGITS, AMOUNT_PLACES, FundingSource

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class _Form(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Labels sit above their fields; a colon after them reads as clutter.
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


def _amount_field(label: StrOrPromise) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=False,
        min_value=0,
        max_digits=AMOUNT_DIGITS,
        decimal_places=AMOUNT_PLACES,
        widget=forms.NumberInput(attrs={"step": "0.01", "min": "0", "inputmode": "decimal"}),
        help_text=_("In yuan; empty counts as nought."),
    )


class AmountsForm(_Form):
    committed = _amount_field(_("Committed (yuan)"))
    spent = _amount_field(_("Spent (yuan)"))
    note = forms.CharField(label=_("Remarks"), required=False, max_length=200)


class CommunityChoiceField(forms.ModelChoiceField):
    """A district's communities, each named with its street (names repeat across streets)."""

    def label_from_instance(self, obj: Community) -> str:
        return f"{obj.street.name} · {obj.name}"


class EntryForm(AmountsForm):
    community = CommunityChoiceField(label=_("Community"), queryset=Community.objects.none())
    year = forms.IntegerField(
        label=_("Year"), min_value=2000, max_value=2100, widget=forms.NumberInput(attrs={"inputmode": "numeric"})
    )
    source = forms.ModelChoiceField(label=_("Funding source"), queryset=FundingSource.objects.filter(is_active=True))

    field_order = ["community", "year", "source", "committed", "spent", "note"]

    def __init__(self, *args: Any, district: District, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(CommunityChoiceField, self.fields["community"]).queryset = (
            Community.objects.filter(district=district).select_related("street").order_by("street__code", "code")
        )


class UploadForm(_Form):
    file = forms.FileField(label=_("Spreadsheet"), widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}))
