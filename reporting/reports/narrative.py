"""What each report kind's narrative fields are called: the same columns, named as each document names them."""

from django.utils.translation import gettext_lazy as _

MONTHLY = [
    ("progress", _("Progress this month")),
    ("practices", _("Main practices and experience")),
    ("problems", _("Problems")),
    ("next_plan", _("Plan for next month")),
]
ANNUAL = [
    ("progress", _("Work this year")),
    ("practices", _("Main practices and experience")),
    ("problems", _("Problems")),
    ("next_plan", _("Plan for next year")),
]
PLAN = [
    ("overall_target", _("Overall target")),
    ("measures", _("Measures")),
]

NARRATIVE_FIELDS = {"monthly": MONTHLY, "annual": ANNUAL, "implementation_plan": PLAN}
