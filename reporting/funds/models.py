"""Funds (资金统筹): what each community spent or had committed in a year, by funding source.

One row holds both figures of a (community, year, source): they describe the same money and are read side by side
everywhere — one form line, one spreadsheet line, one GROUP BY with two sums. A `kind` field would double the rows,
need pivoting on every page and allow a "spent" row without its "committed" partner.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from districts.models import Community, District

# Yuan with fen: up to a trillion yuan a line, far beyond any one community's funds.
AMOUNT_DIGITS, AMOUNT_PLACES = 14, 2
MAX_AMOUNT = Decimal(10 ** (AMOUNT_DIGITS - AMOUNT_PLACES)) - Decimal("0.01")


class FundingSource(models.Model):
    """A source of funds named by the policy (城镇老旧小区改造 …) or added later; the list is data."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=64, unique=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("funding source")
        verbose_name_plural = _("funding sources")

    def __str__(self) -> str:
        return self.name


class FundEntry(models.Model):
    """A community's funds from one source in one year, in yuan: committed (落实) and spent (已支出)."""

    community = models.ForeignKey(
        Community, on_delete=models.PROTECT, related_name="fund_entries", verbose_name=_("community")
    )
    # Copied from the community so that scope filters and the district rollup need no join (as Community does).
    district = models.ForeignKey(
        District, on_delete=models.PROTECT, related_name="fund_entries", verbose_name=_("district")
    )
    year = models.PositiveSmallIntegerField(_("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    source = models.ForeignKey(
        FundingSource, on_delete=models.PROTECT, related_name="entries", verbose_name=_("funding source")
    )
    committed = models.DecimalField(
        _("committed (yuan)"),
        max_digits=AMOUNT_DIGITS,
        decimal_places=AMOUNT_PLACES,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    spent = models.DecimalField(
        _("spent (yuan)"),
        max_digits=AMOUNT_DIGITS,
        decimal_places=AMOUNT_PLACES,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("recorded by")
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["year", "community__code", "source__order"]
        verbose_name = _("funds entry")
        verbose_name_plural = _("funds entries")
        indexes = [models.Index(fields=["district", "year"])]
        constraints = [
            models.UniqueConstraint(fields=["community", "year", "source"], name="fund_entry_one_per_source_year"),
            models.CheckConstraint(condition=Q(committed__gte=0) & Q(spent__gte=0), name="fund_entry_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.community.name} {self.year}年 {self.source.name}"
