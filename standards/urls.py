"""URL routes (filled in by the module's views)."""

urlpatterns: list = []
