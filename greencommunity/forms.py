"""Form pieces every app uses (the apps depend one way: reporting → standards → districts; this is below them all)."""

from django import forms


class DateInput(forms.DateInput):
    """The browser's date picker; it only accepts ISO dates as its value, whatever the language."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")
