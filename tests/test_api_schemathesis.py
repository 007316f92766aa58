"""The API against its own OpenAPI schema (/api/v1/schema/), with Schemathesis generating the requests.

Run in process on the test database (the WSGI application, no server), as the commission (sees the whole city)
and as 和平区's district staff (scoped: another district's codes are a documented 404). Every answer must be no
server error, a documented status code and content type, and a body that matches the documented schema. Few
examples and a fixed seed, so the run is short and the same every time.
"""

from __future__ import annotations

import json

import pytest
import schemathesis
from django.contrib.auth import get_user_model
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.specs.openapi.checks import positive_data_acceptance

from districts.models import District, Membership, Role
from tests.conftest import HEPING

pytestmark = pytest.mark.django_db

# Generated examples per operation, besides Schemathesis's boundary cases (its coverage phase) for every parameter.
EXAMPLES = 5


@pytest.fixture
def in_process_requests(db):
    """The WSGI handler closes the database connection at each request's start and end, which would end the test's
    transaction; the test client leaves it open the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def tokens(in_process_requests) -> dict[str, str]:
    """A token each for a commission administrator and 和平区's district staff (no passwords: hashing one costs more
    than a test's requests)."""
    keys = {}
    for name, role, district in (
        ("commission", Role.COMMISSION_ADMIN, None),
        ("district", Role.DISTRICT_STAFF, HEPING),
    ):
        user = get_user_model().objects.create_user(username=f"api-{name}")
        Membership.objects.create(
            user=user, role=role, district=District.objects.get(code=district) if district else None
        )
        keys[name] = Token.objects.create(user=user).key
    return keys


def _load_schema():
    """The schema /api/v1/schema/ serves, built the same way (SpectacularAPIView's generator) when the module loads:
    the endpoint itself needs a signed-in user, and collection runs before the test database exists."""
    from drf_spectacular.generators import SchemaGenerator

    document = SchemaGenerator(patterns=None, urlconf=None).get_schema(request=None, public=True)
    loaded = schemathesis.openapi.from_dict(json.loads(json.dumps(document, default=str)))
    loaded.app = get_wsgi_application()
    # greencommunity.limits refuses a NUL character in any query before the API sees it, with an HTML page:
    # see test_a_nul_character_in_an_api_query_is_answered_in_json below.
    loaded.config.generation.update(allow_x00=False)
    return loaded


schema = _load_schema()

FUZZ = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def _call_and_validate(case, token: str) -> None:
    # Generated credentials are well-formed but never right: the token endpoint's documented 400 is its normal
    # answer to them, not a refusal of valid data.
    excluded = [positive_data_acceptance] if case.operation.path.endswith("/auth/token/") else []
    case.call_and_validate(headers={"Authorization": f"Token {token}"}, excluded_checks=excluded)


@schema.parametrize()
@FUZZ
def test_the_api_keeps_its_schema_for_the_commission(case, tokens):
    _call_and_validate(case, tokens["commission"])


@schema.parametrize()
@FUZZ
def test_the_api_keeps_its_schema_for_district_staff(case, tokens):
    _call_and_validate(case, tokens["district"])


def test_a_nul_character_in_an_api_query_is_answered_in_json(client_for, heping_staff):
    response = client_for(heping_staff).get("/api/v1/communities/", {"q": "a\x00b"})
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "请求中含有空字符（NUL），任何字段都不接受。请删除后重试。"}


# What Schemathesis made us document, pinned with the exact answers.

DATE_MESSAGE = "日期格式应为“年-月-日”（YYYY-MM-DD），例如 2021-05-31。"


@pytest.mark.parametrize(
    ("url", "errors"),
    [
        ("/api/v1/communities/?date=abc", {"date": [DATE_MESSAGE]}),
        ("/api/v1/districts/?date=", {"date": [DATE_MESSAGE]}),
        ("/api/v1/progress/?date=2021-02-30", {"date": [DATE_MESSAGE]}),
        ("/api/v1/progress/?level=", {"level": ["层级只能是 city（全市）、district（区）或 street（街道）。"]}),
        ("/api/v1/streets/?page_size=0", {"page_size": ["请填写不小于 1 的整数。"]}),
        ("/api/v1/streets/?page_size=abc", {"page_size": ["请填写不小于 1 的整数。"]}),
        ("/api/v1/standards/?page=-1", {"page": ["请填写不小于 1 的整数。"]}),
    ],
)
def test_a_bad_query_parameter_is_a_400_in_chinese(client_for, heping_staff, url, errors):
    response = client_for(heping_staff).get(url)
    assert response.status_code == 400
    assert response.json() == errors


def test_out_of_scope_and_unknown_addresses_are_a_json_404_naming_nothing(client_for, heping_staff):
    client = client_for(heping_staff)
    for url in ("/api/v1/districts/120103/", "/api/v1/communities/1.2/", "/api/v1/no-such-thing/"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert response.json() == {"detail": "未找到。"}, url
    # Without the slash, the API still redirects as before.
    assert client.get("/api/v1/districts").status_code == 301


def test_a_page_past_the_last_is_a_404(client_for, heping_staff):
    response = client_for(heping_staff).get("/api/v1/districts/?page=2")
    assert response.status_code == 404
    assert response.json() == {"detail": "无效页面。"}


def test_a_long_username_is_refused_by_the_token_endpoint_not_a_server_error(client):
    response = client.post("/api/v1/auth/token/", {"username": "x" * 300, "password": "y"})
    assert response.status_code == 400
    assert list(response.json()) == ["username"]
