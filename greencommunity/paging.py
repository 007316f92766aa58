"""One page of a long list, and the pager that goes with it.

A national roster has 3,000 districts and 105,000 communities: every list page shows one page of rows, counts
them in the database and keeps the reader's other query parameters (filters, sort, date) in its page links.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.core.paginator import Page, Paginator
from django.http import HttpRequest


@dataclass(frozen=True)
class Pager:
    """A page of rows and what `includes/pager.html` needs to link the others."""

    page: Page
    param: str  # the query parameter that carries the page number
    query: str  # the request's other parameters, urlencoded, without `param`

    @property
    def rows(self) -> Any:
        return self.page.object_list

    def url(self, number: int) -> str:
        return f"?{self.query}&{self.param}={number}" if self.query else f"?{self.param}={number}"

    @property
    def previous_url(self) -> str:
        return self.url(self.page.previous_page_number()) if self.page.has_previous() else ""

    @property
    def next_url(self) -> str:
        return self.url(self.page.next_page_number()) if self.page.has_next() else ""


def paged(
    request: HttpRequest, rows: Sequence | Any, *, per_page: int, param: str = "page", count: int | None = None
) -> Pager:
    """Page `param` of `rows` (a queryset is counted and sliced in SQL). A page number that is not one, or is past
    the last, gives the first or the last page rather than an error: a bookmarked page 40 of a list that has
    shrunk still opens. `count`, when the caller knows it, spares counting a grouped query again."""
    paginator = Paginator(rows, per_page)
    if count is not None:
        paginator.count = count  # a cached property: the given count stands in for the COUNT query
    page = paginator.get_page(request.GET.get(param))
    query = request.GET.copy()
    query.pop(param, None)
    return Pager(page=page, param=param, query=query.urlencode())
