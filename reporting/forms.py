from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Enrolment


class DateInput(forms.DateInput):
    input_type = "date"


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
