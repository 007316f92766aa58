"""The roster's spreadsheet columns, defined once for the import template, the export and the import.

The column headers and the cell vocabularies (是/否, 未计划…) are Chinese data, not UI text: a file made in either
UI language must import the same way. Widgets turn a cell into a model value (`clean`, raising ValueError with a
message for the user) and a model value into a cell (`render`). Importing goes through `districts.imports`, which
checks scope and roster identity and writes in one transaction; this Resource never creates communities.
"""

from __future__ import annotations

import datetime
import decimal
import re
from typing import Any

from django.utils.translation import gettext as _
from import_export import resources, widgets
from import_export.fields import Field

from .models import Community
from .services import SURVEY_FIELDS

# The template's headers, in column order: Chinese whatever the UI language.
CODE = "社区代码"
NAME = "社区名称"
STREET = "所属街道代码"
KIND = "类型"
BUILD_YEAR = "建成年份"
BUILD_ERA = "建成年代"
HOUSEHOLDS = "户数"
BUILDINGS = "楼栋数"
IS_OLD_ESTATE = "是否老旧小区"
RENOVATION = "改造状态"
PROPERTY_SHARE = "物业管理覆盖率(%)"
ADDRESS = "地址"

YES, NO = "是", "否"
RENOVATION_LABELS: dict[str, str] = {
    Community.Renovation.NOT_PLANNED: "未计划",
    Community.Renovation.PLANNED: "已计划",
    Community.Renovation.IN_PROGRESS: "改造中",
    Community.Renovation.DONE: "已完成",
}
KIND_LABELS = {kind.value: kind.value for kind in Community.Kind}

# A cell starting with one of these is a formula (or becomes one) in Excel and other spreadsheets.
FORMULA_TRIGGERS = frozenset("=+-@\t\r")
# Control characters an xlsx cannot hold (openpyxl refuses them); never useful in roster text.
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def neutralise_formula(text: str) -> str:
    """Make a cell that a spreadsheet would run as a formula show as plain text (a leading apostrophe)."""
    return "'" + text if text[:1] in FORMULA_TRIGGERS else text


def unneutralise_formula(text: str) -> str:
    """Undo `neutralise_formula`, so that an exported file imports back unchanged."""
    return text[1:] if text[:1] == "'" and text[1:2] in FORMULA_TRIGGERS else text


def normalise_header(header: Any) -> str:
    """A header as typed: full-width brackets and stray spaces are the usual differences."""
    if header is None:
        return ""
    text = str(header).replace("\ufeff", "").replace("（", "(").replace("）", ")")
    return re.sub(r"\s+", "", text)


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text_of(value: Any) -> str:
    """A cell as text: numbers typed into a text column come back from openpyxl as int or float."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime.datetime) and value.time() == datetime.time():
        value = value.date()
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    return _CONTROL_CHARS.sub("", str(value)).strip()


class TextWidget(widgets.Widget):
    def __init__(self, *, max_length: int) -> None:
        super().__init__(coerce_to_string=False)
        self.max_length = max_length

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> str:
        if _blank(value):
            return ""
        if isinstance(value, bool):
            raise ValueError(_("Enter text, not a true/false value."))
        text = unneutralise_formula(_text_of(value))
        if len(text) > self.max_length:
            raise ValueError(
                _("Enter at most %(max)s characters (this cell has %(length)s).")
                % {"max": self.max_length, "length": len(text)}
            )
        return text

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str | None:
        return value or None


class CodeWidget(widgets.Widget):
    """A division code of a fixed number of digits; Excel often stores it as a number."""

    def __init__(self, *, length: int) -> None:
        super().__init__(coerce_to_string=False)
        self.length = length

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> str:
        if _blank(value):
            return ""
        if isinstance(value, bool):
            text = ""
        elif isinstance(value, float) and value.is_integer():
            text = str(int(value))
        else:
            text = _text_of(value)
        if not (text.isascii() and text.isdigit() and len(text) == self.length):
            raise ValueError(_("Enter a code of %(length)s digits.") % {"length": self.length})
        return text

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str | None:
        # Text, not a number: a 12-digit number shows in Excel as 1.20101E+11.
        return str(value) if value else None


class WholeNumberWidget(widgets.Widget):
    def __init__(self, *, minimum: int, maximum: int, percent: bool = False) -> None:
        super().__init__(coerce_to_string=False)
        self.minimum, self.maximum, self.percent = minimum, maximum, percent

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> int | None:
        if _blank(value):
            return None
        number = self._number(value)
        if number is None:
            raise ValueError(_("Enter a whole number."))
        if not self.minimum <= number <= self.maximum:
            raise ValueError(
                _("Enter a whole number from %(min)s to %(max)s.") % {"min": self.minimum, "max": self.maximum}
            )
        return number

    def _number(self, value: Any) -> int | None:
        if isinstance(value, bool):
            return None
        if isinstance(value, int):
            return value
        if isinstance(value, float):
            return int(value) if value.is_integer() else None
        if not isinstance(value, (str, decimal.Decimal)):
            return None
        text = str(value).strip()
        if self.percent:
            text = text.removesuffix("%").strip()
        try:
            number = decimal.Decimal(text)
        except decimal.InvalidOperation:
            return None
        if not number.is_finite() or number != number.to_integral_value() or abs(number) > 10**12:
            return None
        return int(number)

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> int | None:
        # A number stays a number, so Excel can add it up.
        return value


class YesNoWidget(widgets.Widget):
    def __init__(self) -> None:
        super().__init__(coerce_to_string=False)

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> bool | None:
        if _blank(value):
            return None
        if isinstance(value, bool):
            return value
        text = _text_of(value)
        if text == YES:
            return True
        if text == NO:
            return False
        raise ValueError(_("Enter %(choices)s, or leave the cell empty.") % {"choices": f"{YES}、{NO}"})

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str | None:
        if value is None:
            return None
        return YES if value else NO


class LabelWidget(widgets.Widget):
    """A choice shown by its Chinese label; the stored value is accepted too."""

    def __init__(self, *, labels: dict[str, str], required: bool) -> None:
        super().__init__(coerce_to_string=False)
        self.labels = {str(value): label for value, label in labels.items()}
        self.values = {label: value for value, label in self.labels.items()}
        self.required = required

    def clean(self, value: Any, row: Any = None, **kwargs: Any) -> str:
        if _blank(value):
            return ""
        text = _text_of(value)
        if text in self.values:
            return self.values[text]
        if text in self.labels:
            return text
        choices = "、".join(self.labels.values())
        if self.required:
            raise ValueError(_("Enter one of %(choices)s.") % {"choices": choices})
        raise ValueError(_("Enter one of %(choices)s, or leave the cell empty.") % {"choices": choices})

    def render(self, value: Any, obj: Any = None, **kwargs: Any) -> str | None:
        return self.labels.get(str(value)) if value else None


class RosterResource(resources.ModelResource):
    """One row per community. Name, street and kind come from the NBS roster: shown, checked, never imported."""

    code = Field(attribute="code", column_name=CODE, widget=CodeWidget(length=12))
    name = Field(attribute="name", column_name=NAME, widget=TextWidget(max_length=64), readonly=True)
    street = Field(attribute="street__code", column_name=STREET, widget=CodeWidget(length=9), readonly=True)
    kind = Field(
        attribute="kind", column_name=KIND, widget=LabelWidget(labels=KIND_LABELS, required=True), readonly=True
    )
    build_year = Field(
        attribute="build_year", column_name=BUILD_YEAR, widget=WholeNumberWidget(minimum=1900, maximum=2100)
    )
    build_era = Field(attribute="build_era", column_name=BUILD_ERA, widget=TextWidget(max_length=32))
    households = Field(
        attribute="households", column_name=HOUSEHOLDS, widget=WholeNumberWidget(minimum=0, maximum=2147483647)
    )
    buildings = Field(
        attribute="buildings", column_name=BUILDINGS, widget=WholeNumberWidget(minimum=0, maximum=2147483647)
    )
    is_old_estate = Field(attribute="is_old_estate", column_name=IS_OLD_ESTATE, widget=YesNoWidget())
    renovation = Field(
        attribute="renovation", column_name=RENOVATION, widget=LabelWidget(labels=RENOVATION_LABELS, required=False)
    )
    property_management_share = Field(
        attribute="property_management_share",
        column_name=PROPERTY_SHARE,
        widget=WholeNumberWidget(minimum=0, maximum=100, percent=True),
    )
    address = Field(attribute="address", column_name=ADDRESS, widget=TextWidget(max_length=200))

    # The columns that identify a row's community and must agree with the roster.
    IDENTITY_FIELDS = ("code", "name", "street", "kind")

    class Meta:
        model = Community
        fields = ("code", "name", "street", "kind", *SURVEY_FIELDS)
        export_order = fields
        import_id_fields = ("code",)

    def init_instance(self, row: Any = None) -> Community:
        # The roster comes from the NBS list and roster changes; an import only updates existing communities.
        raise ValueError(_("This code is not on the roster."))

    def export_field(self, field: Field, instance: Any, **kwargs: Any) -> Any:
        value = super().export_field(field, instance, **kwargs)
        if isinstance(value, str):
            value = neutralise_formula(_CONTROL_CHARS.sub("", value))
        return value

    @classmethod
    def headers(cls) -> list[str]:
        """The column headers in template order."""
        return [cls.fields[name].column_name for name in cls._meta.export_order]

    @classmethod
    def field_for_header(cls) -> dict[str, str]:
        """Column header → field name."""
        return {cls.fields[name].column_name: name for name in cls._meta.export_order}
