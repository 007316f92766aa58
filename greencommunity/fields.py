"""Facts about model fields that code checks input against before the database does."""

from __future__ import annotations

from django.db import models


def max_length(model: type[models.Model], name: str) -> int:
    """The declared max_length of a model's text field, so a check and the column can never disagree."""
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field) or field.max_length is None:
        raise TypeError(f"{model.__name__}.{name} declares no max_length")
    return field.max_length
