"""What is measured: the standard's categories and items (天津市绿色社区创建标准（试行）), loaded as data."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from districts.models import Department


class StandardCategory(models.Model):
    number = models.PositiveSmallIntegerField(_("number"), unique=True)
    name = models.CharField(_("name"), max_length=64)
    departments = models.ManyToManyField(
        Department, blank=True, related_name="standard_categories", verbose_name=_("responsible departments")
    )

    class Meta:
        ordering = ["number"]
        verbose_name = _("standard category")
        verbose_name_plural = _("standard categories")

    def __str__(self) -> str:
        return self.name


class StandardItem(models.Model):
    number = models.PositiveSmallIntegerField(_("number"), unique=True)
    category = models.ForeignKey(
        StandardCategory, on_delete=models.PROTECT, related_name="items", verbose_name=_("category")
    )
    text = models.CharField(_("standard"), max_length=200)
    allows_not_applicable = models.BooleanField(_("may be not applicable"), default=False)

    class Meta:
        ordering = ["number"]
        verbose_name = _("standard item")
        verbose_name_plural = _("standard items")

    def __str__(self) -> str:
        return f"{self.number}. {self.text}"
