from typing import Any

from django import forms

from .models import Community
from .services import SURVEY_FIELDS


class CommunitySurveyForm(forms.ModelForm):
    class Meta:
        model = Community
        fields = SURVEY_FIELDS
        widgets = {
            "is_old_estate": forms.NullBooleanSelect,
            "address": forms.TextInput(attrs={"autocomplete": "street-address"}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # Labels sit above their fields; a colon after them reads as clutter (and as ASCII in Chinese).
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["build_year"].widget.attrs.update({"min": 1900, "max": 2100, "inputmode": "numeric"})
        self.fields["property_management_share"].widget.attrs.update({"min": 0, "max": 100, "inputmode": "numeric"})
        self.fields["households"].widget.attrs["inputmode"] = "numeric"
        self.fields["buildings"].widget.attrs["inputmode"] = "numeric"
