from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Enrolment


class DateInput(forms.DateInput):
    """The browser's date picker; it only accepts ISO dates as its value, whatever the language."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


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
