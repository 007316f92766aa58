"""Forms of the acceptance pages. They check input; every write goes through `standards.acceptance`."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from districts.models import District, Role, Street
from greencommunity.people import person_name
from greencommunity.widgets import DateInput

from .models import AcceptanceRound, Assignment, Objection, StandardVersion

TEAM_ROLES = (Role.INSPECTOR, Role.DEPARTMENT_STAFF)


class PortalForm(forms.Form):
    """Labels sit above their fields: no colon after them (Django's default is an ASCII one, wrong in Chinese)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class RoundForm(PortalForm):
    name = forms.CharField(label=_("Name"), max_length=100)
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    opens_on = forms.DateField(label=_("Opens on"), widget=DateInput)
    closes_on = forms.DateField(label=_("Closes on"), widget=DateInput)
    notice_days = forms.IntegerField(
        label=_("Public notice (days)"),
        min_value=0,
        max_value=90,
        initial=7,
        help_text=_("A passing community counts as met only after this many days of public notice; 0 means none."),
    )
    rectification_days = forms.IntegerField(
        label=_("Days allowed for rectification"), min_value=1, max_value=365, initial=30
    )
    standard = forms.ModelChoiceField(
        label=_("Standard inspected against"),
        queryset=StandardVersion.objects.order_by("-created_at", "-pk"),
        required=False,
        empty_label=None,
        help_text=_("The standard of the campaign whose communities the round inspects."),
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        opens_on, closes_on = data.get("opens_on"), data.get("closes_on")
        if opens_on and closes_on and closes_on < opens_on:
            self.add_error("closes_on", _("A round must close on or after the day it opens."))
        return data


class RoundExtendForm(PortalForm):
    closes_on = forms.DateField(
        label=_("New end date"),
        widget=DateInput,
        error_messages={"required": _("Choose the new end date.")},
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Give the reason for extending the round.")},
    )
    confirm = forms.BooleanField(
        label=_("Until the new date the round takes answers, signatures, assignments and rectifications again"),
        error_messages={"required": _("Tick the box to confirm the extension.")},
    )


class MemberChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, user: Any) -> str:
        membership = getattr(user, "membership", None)
        who = person_name(user)
        if membership is None:
            return who
        unit = f" · {membership.department.name}" if membership.department_id else ""
        return f"{who}（{membership.get_role_display()}{unit}）"


class TeamForm(PortalForm):
    name = forms.CharField(
        label=_("Team name"),
        max_length=100,
        help_text=_("A name already used in this round adds the chosen members to that team."),
    )
    members = MemberChoiceField(
        label=_("Members"),
        queryset=get_user_model().objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": _("Choose at least one member."),
            "invalid_choice": _("Choose members from the list of inspectors and department staff."),
            "invalid_pk_value": _("Choose members from the list of inspectors and department staff."),
        },
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ModelChoiceField, self.fields["members"]).queryset = (
            get_user_model()
            .objects.filter(is_active=True, membership__role__in=TEAM_ROLES)
            .select_related("membership__department")
            .order_by("membership__role", "username")
        )


class AssignForm(PortalForm):
    """Which communities a team inspects: a district, optionally one street, optionally only those that say they
    meet the standard. Codes and ids arrive from the browser, so each is looked up again here."""

    team = forms.ChoiceField(label=_("Team"))
    district = forms.ChoiceField(label=_("District"))
    street = forms.ChoiceField(label=_("Street-level unit"), required=False)
    only_meets = forms.BooleanField(label=_("Only communities self-assessed as meeting the standard"), required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=Assignment.Kind.choices, initial=Assignment.Kind.FIRST)

    def __init__(self, *args: Any, round: AcceptanceRound, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.round = round
        self.teams = {str(team.pk): team for team in round.teams.all()}
        cast(forms.ChoiceField, self.fields["team"]).choices = [("", "—")] + [
            (pk, team.name) for pk, team in self.teams.items()
        ]
        districts = list(District.objects.order_by("code"))
        cast(forms.ChoiceField, self.fields["district"]).choices = [("", "—")] + [(d.code, d.name) for d in districts]
        names = {d.pk: d.name for d in districts}
        grouped: dict[str, list[tuple[str, str]]] = {}
        for street in Street.objects.order_by("code").only("code", "name", "district_id"):
            grouped.setdefault(names[street.district_id], []).append((street.code, street.name))
        cast(forms.ChoiceField, self.fields["street"]).choices = [("", _("all"))] + list(grouped.items())
        for name, message in (
            ("team", _("Choose one of this round's teams.")),
            ("district", _("Choose a district from the list.")),
            ("street", _("Choose a street-level unit from the list.")),
            ("kind", _("Choose first inspection or re-inspection.")),
        ):
            self.fields[name].error_messages["invalid_choice"] = message
        self.fields["team"].error_messages["required"] = _("Choose a team.")
        self.fields["district"].error_messages["required"] = _("Choose a district.")

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if "team" in data:
            data["team"] = self.teams[data["team"]]
        if "district" in data:
            data["district"] = District.objects.get(code=data["district"])
        street_code = data.get("street")
        data["street"] = None
        if street_code and isinstance(data.get("district"), District):
            street = Street.objects.get(code=street_code)
            if street.district_id != data["district"].pk:
                self.add_error(
                    "street",
                    _("%(street)s is not in %(district)s.")
                    % {"street": street.name, "district": data["district"].name},
                )
            else:
                data["street"] = street
        return data


class AssignConfirmForm(AssignForm):
    # How many communities the preview showed; if the choice covers a different number now, the user looks again.
    expected = forms.IntegerField(
        min_value=1,
        widget=forms.HiddenInput,
        error_messages={
            key: _("Show the communities first, then confirm the assignment.")
            for key in ("required", "invalid", "min_value")
        },
    )


class RectificationDoneForm(PortalForm):
    note = forms.CharField(
        label=_("What was done"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Say what was done to put it right.")},
    )
    file = forms.FileField(label=_("Photo or document (optional)"), required=False)
    caption = forms.CharField(label=_("Caption"), max_length=200, required=False)


class ConfirmForm(PortalForm):
    confirm = forms.BooleanField(
        label=_("Every item has been put right; ask the commission to inspect again"),
        error_messages={"required": _("Tick the box to confirm the request for re-inspection.")},
    )


class ObjectionForm(PortalForm):
    received_on = forms.DateField(label=_("Received on"), widget=DateInput)
    raised_by = forms.CharField(label=_("Raised by (optional)"), max_length=100, required=False)
    text = forms.CharField(
        label=_("Objection"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Write down the objection.")},
    )


class ObjectionDecisionForm(PortalForm):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[(Objection.Decision.UPHELD, _("uphold")), (Objection.Decision.DISMISSED, _("dismiss"))],
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Decide to uphold or dismiss the objection."),
            "invalid_choice": _("Decide to uphold or dismiss the objection."),
        },
    )
    note = forms.CharField(
        label=_("Reason for the decision"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Give the reason for the decision.")},
    )
    confirm = forms.BooleanField(
        label=_("The decision is final and cannot be changed"),
        error_messages={"required": _("Tick the box to confirm the decision.")},
    )


def form_errors(form: forms.Form) -> list[str]:
    """Every error of a form as plain sentences, for messages shown after a redirect."""
    return [str(error) for errors in form.errors.values() for error in errors]


class RefinementForm(PortalForm):
    """A district's sub-indicator under one item; the service checks it again and writes it."""

    text = forms.CharField(label=_("Sub-indicator"), max_length=200)
    guidance = forms.CharField(
        label=_("Guidance"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("How to check it: what to look at, ask or count on site."),
    )
    evidence_required = forms.BooleanField(label=_("Evidence required (a photo or document)"), required=False)
    order = forms.IntegerField(label=_("Order under the item"), min_value=0, max_value=999, initial=0)


class RefinementReturnForm(PortalForm):
    reason = forms.CharField(label=_("Reason for returning"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))


class RecheckRoundForm(RoundForm):
    """A re-check round: the round's dates and deadline, a share or a number per district, communities by code.

    The per-district fields are `share_<code>` and `number_<code>`, one pair per district given to the form."""

    named = forms.CharField(
        label=_("Also re-check (division codes)"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Communities the commission adds by name: their 12-digit codes, separated by spaces or commas."),
    )

    def __init__(self, *args: Any, districts: list[District], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["notice_days"]  # a re-check has no public notice: it does not make anyone meet
        self.districts = districts
        for district in districts:
            self.fields[f"share_{district.code}"] = forms.DecimalField(
                label=_("%(district)s: share (%%)") % {"district": district.name},
                required=False,
                min_value=0,
                max_value=100,
                max_digits=5,
                decimal_places=2,
            )
            self.fields[f"number_{district.code}"] = forms.IntegerField(
                label=_("%(district)s: number") % {"district": district.name},
                required=False,
                min_value=0,
                max_value=100000,
            )

    def district_rows(self) -> list[tuple[District, forms.BoundField, forms.BoundField]]:
        return [(d, self[f"share_{d.code}"], self[f"number_{d.code}"]) for d in self.districts]

    def main_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in ("name", "year", "opens_on", "closes_on", "rectification_days", "named")]

    def clean_named(self) -> list[str]:
        text = self.cleaned_data.get("named", "")
        codes = [c for c in text.replace("，", " ").replace(",", " ").replace("、", " ").split() if c]
        wrong = [c for c in codes if not (c.isdigit() and len(c) == 12)]
        if wrong:
            raise forms.ValidationError(
                _("Not a community's 12-digit code: %(codes)s.") % {"codes": "、".join(wrong[:10])}
            )
        return codes

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for district in self.districts:
            share, number = data.get(f"share_{district.code}"), data.get(f"number_{district.code}")
            if share is not None and number is not None:
                self.add_error(
                    f"share_{district.code}",
                    _("%(district)s: give either a share or a number.") % {"district": district.name},
                )
        return data


class RevocationForm(PortalForm):
    revoked_on = forms.DateField(
        label=_("Revoked from"),
        widget=DateInput,
        error_messages={"required": _("Choose the day the revocation takes effect.")},
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Give the reason for revoking the title.")},
    )
    confirm = forms.BooleanField(
        label=_("From this day the community no longer counts as meeting the standard; this is recorded for good"),
        error_messages={"required": _("Tick the box to confirm the revocation.")},
    )
