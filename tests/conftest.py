"""Shared fixtures: the real Tianjin roster in the test database, and one user per role.

Tests that need a service (PostgreSQL, Redis, Chromium) skip when it is missing on a developer's machine, but
under CI (CI=true) a missing service fails the run instead: nothing is skipped there.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models

from districts.loading import divisions_load, read_division_rows
from districts.models import Department, District, Membership, Role, Street

TIANJIN_CSV = Path(settings.BASE_DIR) / "districts" / "data" / "tianjin-divisions.csv"
PASSWORD = "test-password-123"
HEPING, HEXI, BINHAI = "120101", "120103", "120116"


def require_service(available: bool, what: str) -> None:
    """Skip a test whose service is missing, except under CI, where that is a failure."""
    if available:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{what} is required under CI but is not available")
    pytest.skip(f"{what} is not available")


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the portal's default language. A request through the test client activates the language
    of its session or cookie for the thread (LocaleMiddleware leaves it active), so without this a test calling a
    service after another test's English request would get English messages, depending on the order tests run in."""
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.deactivate()


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hashing():
    """Tests create users and log in by the hundred; the production hasher (PBKDF2, 1,000,000 rounds) spends about
    half a second on each, which was most of the suite's time. The tests check who may do what, not the hasher's
    strength (production keeps its own; `check --deploy` runs on the production settings)."""
    from django.test.utils import override_settings

    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):  # noqa: PT004
    """Load Tianjin's real divisions once per test session (migrations already seeded the policy data)."""
    with django_db_blocker.unblock():
        divisions_load(read_division_rows(TIANJIN_CSV))


# Recreated by a flush itself (post_migrate); every other row is saved, pointing at these by natural key.
def _saved_rows() -> list:
    from django.apps import apps
    from django.contrib.auth.models import Permission
    from django.contrib.contenttypes.models import ContentType

    recreated = {ContentType, Permission}
    models = [m for m in apps.get_models() if m not in recreated and m._meta.managed and not m._meta.proxy]
    return [row for model in models for row in model._base_manager.order_by("pk")]


@pytest.fixture(scope="module")
def seed_data_restored(django_db_setup, django_db_blocker):
    """For a module of `transaction=True` tests, which end by emptying every table: save what the session's database
    holds (Tianjin's divisions, the data migrations' rows) before the module and put it back after its last flush.
    After `django_db_setup`, so that it reads the test database even when the module runs alone."""
    from django.core import serializers
    from django.db import connection, transaction

    with django_db_blocker.unblock():
        saved = serializers.serialize("json", _saved_rows(), use_natural_foreign_keys=True)
    yield
    with django_db_blocker.unblock(), transaction.atomic(), connection.constraint_checks_disabled():
        _restore(serializers.deserialize("json", saved))


def _restore(rows) -> None:
    """Put the deserialized rows back a model at a time (a few thousand rows: one INSERT per batch instead of an
    UPDATE and an INSERT per row), their many-to-many links after."""
    from collections import defaultdict

    by_model: dict[type[models.Model], list] = defaultdict(list)
    linked = []
    for row in rows:
        by_model[type(row.object)].append(row.object)
        if row.m2m_data:
            linked.append(row)
    for model, objects in by_model.items():
        model._base_manager.bulk_create(objects, batch_size=500)
    for row in linked:
        for name, values in row.m2m_data.items():
            getattr(row.object, name).set(values)


def _redis_answers(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


@pytest.fixture(scope="module")
def redis_app():
    """The project's Celery app on the Redis broker, for tests with a real worker. Module scope: checked before the
    database is set up for the test, so a skip costs no flush."""
    from greencommunity.celery import app

    require_service(bool(settings.REDIS_URL) and _redis_answers(settings.REDIS_URL), "Redis at REDIS_URL")
    assert app.conf.broker_url.startswith("redis://")
    assert not app.conf.task_always_eager
    return app


@pytest.fixture
def own_queue(redis_app, request):
    """A queue for this test alone, so a worker of another run on the same Redis never takes these tasks."""
    import uuid

    name = f"test-{request.node.name[:40]}-{uuid.uuid4().hex}"
    previous = redis_app.conf.task_default_queue
    redis_app.conf.task_default_queue = name
    yield name
    redis_app.conf.task_default_queue = previous
    # Declaring on this connection first tells kombu the queue's bindings, so deleting removes them as well.
    with redis_app.connection_for_write() as broker:
        queue = redis_app.amqp.queues[name](broker.default_channel)
        queue.declare()
        queue.delete()


@pytest.fixture
def make_user(db) -> Callable[..., object]:
    def make(username: str, role: str, *, district: str = "", street: str = "", department: str = ""):
        user = get_user_model().objects.create_user(username=username, password=PASSWORD)
        Membership.objects.create(
            user=user,
            role=role,
            district=District.objects.get(code=district) if district else None,
            street=Street.objects.get(code=street) if street else None,
            department=Department.objects.get(code=department) if department else None,
        )
        return user

    return make


@pytest.fixture
def commission_admin(make_user):
    user = make_user("commission", Role.COMMISSION_ADMIN)
    user.is_staff = user.is_superuser = True
    user.save()
    return user


@pytest.fixture
def reviewer(make_user):
    return make_user("reviewer", Role.COMMISSION_REVIEWER)


@pytest.fixture
def heping_staff(make_user):
    """District staff of 和平区 (120101)."""
    return make_user("district-120101", Role.DISTRICT_STAFF, district=HEPING)


@pytest.fixture
def hexi_staff(make_user):
    """District staff of 河西区 (120103)."""
    return make_user("district-120103", Role.DISTRICT_STAFF, district=HEXI)


@pytest.fixture
def heping_street_staff(make_user):
    """Street staff of 劝业场街道 (120101001), 和平区."""
    return make_user("street-120101001", Role.STREET_STAFF, street="120101001")


@pytest.fixture
def department_staff(make_user):
    return make_user("dept-zjw", Role.DEPARTMENT_STAFF, department="zjw")


@pytest.fixture
def inspector(make_user):
    return make_user("inspector-1", Role.INSPECTOR)


@pytest.fixture
def client_for(client):
    """Log the test client in as `user` and return it."""

    def login(user):
        client.force_login(user)
        return client

    return login
