from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


def chinese_first(get_response: Callable[[HttpRequest], HttpResponse]) -> Callable[[HttpRequest], HttpResponse]:
    """Serve the portal in Chinese whatever language the browser asks for.

    Government offices often run English-language browsers and systems; the portal's language is Chinese unless
    the user picks another with the language switch (a cookie). Must sit before LocaleMiddleware.
    """

    def middleware(request: HttpRequest) -> HttpResponse:
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return get_response(request)

    return middleware
