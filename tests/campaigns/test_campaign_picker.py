"""Issue 17 item 3: the documents, the commendations and the item pass rates are for the campaign picked in the top
bar (`?campaign=<id>`, kept in the session), and for the current campaign by default."""

from __future__ import annotations

import datetime
import re

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from reporting.campaigns.services import campaign_make_current, campaign_open
from reporting.commendations.models import Commendation
from reporting.commendations.services import commendation_approve, commendation_propose
from reporting.models import Campaign, GeneratedDocument
from standards.versions import standard_version_copy
from tests.reporting.test_documents import pdf_text

pytestmark = pytest.mark.django_db
D = datetime.date
NEW_ISSUER = "天津市绿色社区创建工作领导小组办公室"
BULLETIN = "天津市绿色社区创建工作情况通报"


def _text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


@pytest.fixture
def campaigns(commission_admin) -> tuple[Campaign, Campaign]:
    """The 2020 campaign, and a 2023—2025 one with a copy of its standard and its own issuing body, made current."""
    old = Campaign.objects.current()
    assert old is not None
    standard = standard_version_copy(
        source=old.standard, name="天津市绿色社区创建标准（2023年版）", by=commission_admin
    )
    new = campaign_open(
        name="天津市绿色社区创建行动（2023—2025年）",
        issued_by=NEW_ISSUER,
        starts_on=D(2023, 1, 1),
        ends_on=D(2025, 12, 31),
        standard=standard,
        monthly_due_day=10,
        by=commission_admin,
    )
    campaign_make_current(campaign=new, by=commission_admin)
    return old, new


@pytest.fixture
def media(settings, tmp_path):
    """The files in a folder of the test's, and the jobs run in this process (no worker serves these tests)."""
    from greencommunity.celery import app

    settings.MEDIA_ROOT = str(tmp_path / "media")
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield tmp_path / "media"
    app.conf.task_always_eager = previous


def _request_bulletin(client, period: str, *, campaign: Campaign | None = None):
    url = reverse("document_request") + (f"?campaign={campaign.pk}" if campaign else "")
    response = client.post(url, {"kind": "city-bulletin", "period": period})
    assert response.status_code == 302
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_a_document_is_made_for_the_picked_campaign_and_for_the_current_one_by_default(
    campaigns, client_for, commission_admin, media, tmp_path, django_capture_on_commit_callbacks
):
    old, new = campaigns
    client = client_for(commission_admin)
    with django_capture_on_commit_callbacks(execute=True):
        refused = _request_bulletin(client, "2020-12")
    assert "2020年12月不在创建行动期间" in refused[0] and not GeneratedDocument.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        _request_bulletin(client, "2023-01")
    current = GeneratedDocument.objects.get()
    assert current.campaign == new and current.status == "done"
    text = pdf_text((media / current.file.name).read_bytes(), tmp_path)
    assert NEW_ISSUER in text and "（2023年1月）" in text

    page = _text(client.get(reverse("documents") + f"?campaign={old.pk}"))
    assert 'id="campaign-picker"' in page and f'<option value="{old.pk}" selected>' in page
    assert f'action="{reverse("document_request")}?campaign={old.pk}"' in page
    assert "尚未生成任何文件。" in page
    # The month field's example is a month of the campaign shown.
    assert 'placeholder="2022-12"' in page
    assert 'placeholder="2025-12"' in _text(client.get(reverse("documents") + f"?campaign={new.pk}"))
    with django_capture_on_commit_callbacks(execute=True):
        made = _request_bulletin(client, "2020-12", campaign=old)
    assert made == [f"正在生成“{BULLETIN}（2020年12月）”，完成后可在本页下载。"]
    earlier = GeneratedDocument.objects.get(period="2020-12")
    assert earlier.campaign == old and earlier.status == "done"
    assert earlier.file.name == f"documents/{old.pk}/city-bulletin/2020-12/city.pdf"
    text = pdf_text((media / earlier.file.name).read_bytes(), tmp_path)
    assert BULLETIN in text.replace(" ", "") and "（2020年12月）" in text
    assert "天津市住房和城乡建设委员会" in text and NEW_ISSUER not in text

    listed = client.get(reverse("documents") + f"?campaign={old.pk}").context["rows"]
    assert [document for document, _name in listed] == [earlier]
    listed = client.get(reverse("documents") + f"?campaign={new.pk}").context["rows"]
    assert [document for document, _name in listed] == [current]


def _approved(year: int, name: str, *, campaign: Campaign, by, decider) -> Commendation:
    proposal = commendation_propose(year=year, kind="unit", name=name, reason="创建成效显著", by=by, campaign=campaign)
    return commendation_approve(commendation=proposal, by=decider)


def test_commendations_are_of_the_picked_campaigns_years(
    campaigns, client_for, heping_staff, reviewer, commission_admin
):
    old, new = campaigns
    this_year = timezone.localdate().year
    _approved(2021, "新兴街道朝阳里社区", campaign=old, by=heping_staff, decider=commission_admin)
    _approved(2024, "南营门街道长春道社区", campaign=new, by=heping_staff, decider=commission_admin)

    client = client_for(reviewer)
    current = client.get(reverse("commendation_list"))
    assert current.context["years"] == [2024] and current.context["year"] == 2024
    assert "南营门街道长春道社区" in _text(current) and "新兴街道朝阳里社区" not in _text(current)
    earlier = client.get(reverse("commendation_list") + f"?campaign={old.pk}")
    assert earlier.context["years"] == [2021] and earlier.context["year"] == 2021
    assert "新兴街道朝阳里社区" in _text(earlier) and f'<option value="{old.pk}" selected>' in _text(earlier)
    # The session keeps the pick; a year of another campaign is not shown on this one's page.
    assert client.get(reverse("commendation_list") + "?year=2024").context["year"] == 2021

    proposer = client_for(heping_staff)
    form = proposer.get(reverse("commendation_propose")).context["form"]
    assert [year for year, _label in form.fields["year"].choices] == list(range(this_year, 2022, -1))
    refused = proposer.post(
        reverse("commendation_propose"), {"year": "2021", "kind": "unit", "name": "x", "reason": "y"}
    )
    assert "year" in refused.context["form"].errors
    url = reverse("commendation_propose") + f"?campaign={old.pk}"
    form = proposer.get(url).context["form"]
    assert [year for year, _label in form.fields["year"].choices] == [2022, 2021, 2020]
    response = proposer.post(url, {"year": "2021", "kind": "practice", "name": "楼道微花园", "reason": "居民共建共管"})
    assert response.status_code == 302
    assert Commendation.objects.get(name="楼道微花园").year == 2021
    proposals = proposer.get(reverse("commendation_proposals")).context["proposals"]
    assert {c.name for c in proposals} == {"新兴街道朝阳里社区", "楼道微花园"}


def test_item_pass_rates_are_of_the_picked_campaigns_standard(campaigns, client_for, reviewer):
    old, new = campaigns
    client = client_for(reviewer)
    current = client.get(reverse("acceptance_items"))
    items = current.context["items"]
    assert len(items) == 16 and {item.version_id for item in items} == {new.standard_id}
    assert f'<option value="{new.pk}" selected>' in _text(current)
    earlier = client.get(reverse("acceptance_items") + f"?campaign={old.pk}")
    assert {item.version_id for item in earlier.context["items"]} == {old.standard_id}
    assert f'<option value="{old.pk}" selected>' in _text(earlier)
