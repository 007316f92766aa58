"""No link leads to a refusal or an error (Issue 14 item 6).

For each role the test client starts at the home page and follows every same-origin `<a href>` of every page it
reaches, and each link must answer without 403, 404 or 500. The world is built through the services, small but with
something of every kind a page links to: pilots (one 和平区 street without), monthly reports in every state, an
implementation plan and a department's annual report, an attachment, notifications, an acceptance round with an
open, a failed (rectifications) and a passed (notice, objection) inspection, two PDF documents and the snapshots the
dashboards read. Breadth is bounded so the crawl stays short: each URL name is followed for at most a few distinct
arguments, each of those for at most a few distinct query strings.
"""

from __future__ import annotations

import datetime
import io
from collections import deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.staticfiles import finders
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.http import StreamingHttpResponse
from django.test import Client, override_settings
from django.urls import Resolver404, resolve
from django.utils import timezone
from PIL import Image

from districts.models import Community, Department, District, Membership, Role, Street
from reporting.documents.tasks import document_render, document_request
from reporting.figures.rollups import rollup_date
from reporting.models import Campaign, Report, ReportEvent
from reporting.reports.services import report_accept, report_open, report_return, report_save, report_submit
from reporting.services import enrolment_enrol
from reporting.tasks import report_transition_notify
from standards.acceptance import (
    answer_save,
    assignments_create,
    inspection_sign,
    inspection_start,
    objection_record,
    rectification_done,
    round_create,
    team_create,
)
from standards.evidence import evidence_add
from standards.models import Rectification

pytestmark = pytest.mark.django_db

D = datetime.date
HEPING = "120101"
OWN_STREET = "120101001"
# The demo logins of each kind of role (README).
ROLES = ["commission", "reviewer", f"district-{HEPING}", f"street-{OWN_STREET}", "dept-zjw", "inspector-1"]
# Links that change the session rather than show a page (they are forms anyway; a link to them would be skipped).
NOT_FOLLOWED = {"logout", "set_language", "admin:logout"}
ARGS_PER_NAME = 3
QUERIES_PER_ARGS = 2
# Django's own admin pages are many and alike: one object and one query string each is enough to check its links.
ADMIN_ARGS_PER_NAME = ADMIN_QUERIES_PER_ARGS = 1
HOST = "testserver"


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href = dict(attrs).get("href") if tag == "a" else None
        if href:
            self.hrefs.append(href.strip())


def hrefs_of(html: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    return parser.hrefs


@dataclass
class Crawl:
    """Breadth-first from the home page; `broken` holds (status, url, the page that links to it)."""

    client: Client
    visited: list[str] = field(default_factory=list)
    broken: list[tuple[int, str, str]] = field(default_factory=list)
    _queued: set[str] = field(default_factory=set)
    _args: dict[str, set] = field(default_factory=dict)
    _queries: dict[tuple, set] = field(default_factory=dict)

    def run(self, start: str = "/") -> Crawl:
        queue: deque[tuple[str, str]] = deque([(start, "")])
        self._queued.add(start)
        while queue:
            url, found_on = queue.popleft()
            for link in self._visit(url, found_on):
                if link not in self._queued:
                    self._queued.add(link)
                    queue.append((link, url))
        return self

    def _same_origin(self, href: str, base: str) -> str | None:
        if href.startswith(("#", "mailto:", "tel:", "javascript:")):
            return None
        parts = urlsplit(urljoin(f"http://{HOST}{base}", href))
        if parts.scheme not in ("http", "https") or parts.netloc != HOST:
            return None
        return parts.path + (f"?{parts.query}" if parts.query else "")

    def _worth_following(self, url: str, found_on: str) -> bool:
        parts = urlsplit(url)
        if parts.path.startswith("/" + settings.STATIC_URL.lstrip("/")):
            if not finders.find(parts.path.removeprefix("/" + settings.STATIC_URL.lstrip("/"))):
                self.broken.append((404, url, found_on))
            return False
        try:
            match = resolve(parts.path)
        except Resolver404:
            self.broken.append((404, url, found_on))
            return False
        if match.view_name in NOT_FOLLOWED:
            return False
        admin = match.namespace == "admin"
        args = (*match.args, *sorted(match.kwargs.items()))
        seen_args = self._args.setdefault(match.view_name, set())
        if args not in seen_args:
            if len(seen_args) >= (ADMIN_ARGS_PER_NAME if admin else ARGS_PER_NAME):
                return False
            seen_args.add(args)
        queries = self._queries.setdefault((match.view_name, args), set())
        if parts.query not in queries:
            if len(queries) >= (ADMIN_QUERIES_PER_ARGS if admin else QUERIES_PER_ARGS):
                return False
            queries.add(parts.query)
        return True

    def _visit(self, url: str, found_on: str) -> list[str]:
        if not self._worth_following(url, found_on):
            return []
        self.visited.append(url)
        response = self.client.get(url)
        if isinstance(response, StreamingHttpResponse):
            # Read to the end, so the file is closed as at the end of a real download.
            b"".join(response.streaming_content)
        if response.status_code >= 400:
            self.broken.append((response.status_code, url, found_on))
            return []
        if response.status_code in (301, 302, 303, 307, 308):
            target = self._same_origin(response["Location"], url)
            return [target] if target else []
        if response.status_code != 200 or not response.get("Content-Type", "").startswith("text/html"):
            return []
        found = (self._same_origin(href, url) for href in hrefs_of(response.content.decode()))
        return [link for link in found if link]


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (0, 128, 0)).save(buffer, "PNG")
    return buffer.getvalue()


def _user(username: str, role: str, **scope) -> Any:
    user = get_user_model().objects.create_user(username=username, password="unused-password-1")
    Membership.objects.create(user=user, role=role, **scope)
    return user


def _notify(report: Report, action: str) -> None:
    """What the workflow's on-commit job does once the step commits (the test's transaction never commits)."""
    report_transition_notify(report.pk, action)


def _build_world(campaign: Campaign) -> dict[str, object]:
    heping = District.objects.get(code=HEPING)
    commission = _user("commission", Role.COMMISSION_ADMIN)
    commission.is_staff = commission.is_superuser = True
    commission.save()
    reviewer = _user("reviewer", Role.COMMISSION_REVIEWER)
    staff = _user(f"district-{HEPING}", Role.DISTRICT_STAFF, district=heping)
    _user(f"street-{OWN_STREET}", Role.STREET_STAFF, street=Street.objects.get(code=OWN_STREET))
    department_staff = _user("dept-zjw", Role.DEPARTMENT_STAFF, department=Department.objects.get(code="zjw"))
    inspector = _user("inspector-1", Role.INSPECTOR)

    # A pilot in every 和平区 street but the last, so the red flags name a street of the district without one.
    streets = list(Street.objects.filter(district=heping, kind="街道").order_by("code"))
    communities = {
        s.code: list(Community.objects.filter(street=s, kind="居委会").order_by("code")[:6]) for s in streets
    }
    pilots = [communities[s.code][0] for s in streets[:-1]]
    enrolment_enrol(campaign=campaign, communities=pilots, kind="pilot", joined_on=D(2020, 12, 1), by=staff)
    batch = communities[OWN_STREET][1:5]
    enrolment_enrol(campaign=campaign, communities=batch, kind="batch", joined_on=D(2021, 6, 1), by=staff)

    # Monthly reports: accepted, returned, submitted and a draft with an attachment; the plan; an annual report.
    months = [D(2021, 1, 1), D(2021, 2, 1), D(2021, 3, 1), D(2021, 4, 1)]
    reports = [report_open(campaign=campaign, kind="monthly", period=m, district=heping, by=staff) for m in months]
    for report in reports[:3]:
        report = report_save(report=report, version=report.version, data={"progress": "推进试点创建"}, by=staff)
        report_submit(report=report, by=staff)
    report_accept(report=Report.objects.get(pk=reports[0].pk), by=reviewer)
    report_return(report=Report.objects.get(pk=reports[1].pk), comment="请补充各街道进展", by=reviewer)
    for report, action in ((reports[0], "accepted"), (reports[1], "returned"), (reports[2], "submitted")):
        _notify(report, getattr(ReportEvent.Action, action.upper()))
    evidence_add(
        upload=SimpleUploadedFile("现场照片.png", _png(), content_type="image/png"),
        by=staff,
        district=heping,
        owner=reports[3],
    )
    report_open(campaign=campaign, kind="implementation_plan", period=campaign.starts_on, district=heping, by=staff)
    annual = report_open(
        campaign=campaign,
        kind="annual",
        period=D(2021, 1, 1),
        department=Department.objects.get(code="zjw"),
        by=department_staff,
    )
    annual = report_save(report=annual, version=annual.version, data={"progress": "指导各区创建"}, by=department_staff)
    report_submit(report=annual, by=department_staff)

    # An acceptance round open today: an inspection begun, one failed (rectifications), one passed (notice).
    today = timezone.localdate()
    round_ = round_create(
        name="年度验收",
        year=today.year,
        opens_on=today - datetime.timedelta(days=30),
        closes_on=today + datetime.timedelta(days=60),
        notice_days=7,
        by=commission,
    )
    team = team_create(round=round_, name="第一组", members=[inspector], by=commission)
    begun, failing, passing, waiting = assignments_create(
        round=round_, communities=pilots[:1] + batch[:3], team=team, by=commission
    )
    inspection_start(assignment=begun, by=inspector)
    signed = {}
    for assignment, fails in ((failing, {5, 9}), (passing, set())):
        inspection = inspection_start(assignment=assignment, by=inspector)
        for number in range(1, 17):
            failed = number in fails
            answer_save(
                inspection=inspection,
                item_number=number,
                result="fails" if failed else "meets",
                note="垃圾分类投放点不足" if failed else "",
                by=inspector,
            )
        signed[bool(fails)] = inspection_sign(inspection=inspection, by=inspector)
    rectification = Rectification.objects.filter(inspection=signed[True]).earliest("pk")
    rectification_done(rectification=rectification, note="已增设投放点", by=staff)
    signed_on = signed[False].signed_on
    assert signed_on is not None
    objection_record(inspection=signed[False], received_on=signed_on, text="公示有异议", by=commission)

    # Rendered here, as the job the request queues on commit would.
    for kind, period, scope_code in (("district-monthly", "2021-01", HEPING), ("city-bulletin", "2021-12", "")):
        document = document_request(kind=kind, period=period, scope_code=scope_code, by=commission)
        document_render(document.pk)
    # The dashboards read snapshots: one at the 30% milestone and one at the campaign's end.
    for on in (D(2021, 12, 31), campaign.ends_on):
        rollup_date(campaign=campaign, on=on)
    return {"lacking": streets[-1], "pilots": pilots}


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """Built once for the module and rolled back after it."""
    with (
        override_settings(MEDIA_ROOT=tmp_path_factory.mktemp("links-media")),
        django_db_blocker.unblock(),
        transaction.atomic(),
    ):
        built = _build_world(Campaign.objects.current())
        yield built
        transaction.set_rollback(True)


@pytest.mark.parametrize("username", ROLES)
def test_no_link_reachable_from_the_home_page_is_refused_or_broken(world, client, username):
    """Issue 14 item 6."""
    client.force_login(get_user_model().objects.get(username=username))
    # A page that fails is listed with the page linking to it rather than ending the crawl.
    client.raise_request_exception = False
    menu = [item["url"] for item in client.get("/").context["portal_nav"]]
    crawl = Crawl(client).run()

    assert set(menu) <= set(crawl.visited), "the crawl reaches at least every page of the role's menu"
    problems = [f"{status} {url} (linked from {found_on})" for status, url, found_on in sorted(set(crawl.broken))]
    assert problems == [], "\n".join(problems)


def test_a_street_officers_pilot_flag_links_only_to_their_own_street(world, client):
    """Issue 14 item 6: the district dashboard's "无试点" flag linked a street officer to other streets (404)."""
    client.force_login(get_user_model().objects.get(username=f"street-{OWN_STREET}"))
    html = client.get(f"/dashboard/district/{HEPING}/").content.decode()
    flags = html[html.index('id="flags-heading"') : html.index("</section>", html.index('id="flags-heading"'))]

    lacking = world["lacking"]
    assert "无试点" in flags and lacking.name in flags
    assert f"/roster/street/{lacking.code}/" not in flags
    assert all(
        urlsplit(href).path == f"/roster/street/{OWN_STREET}/"
        for href in hrefs_of(flags)
        if href.startswith("/roster/street/")
    )
    # The district staff still open the street from the same flag.
    client.force_login(get_user_model().objects.get(username=f"district-{HEPING}"))
    html = client.get(f"/dashboard/district/{HEPING}/").content.decode()
    assert f'href="/roster/street/{lacking.code}/"' in html
