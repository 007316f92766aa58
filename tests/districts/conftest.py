"""Fixtures shared by the roster import and export tests."""

import pytest
from django.conf import settings as django_settings


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def as_user(client_for):
    """A logged-in client that asks for English, so the assertions do not depend on the zh_Hans catalogue."""

    def login(user):
        client = client_for(user)
        client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "en"
        return client

    return login
