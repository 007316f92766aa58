"""Chinese labels take a full-width colon (：), in the zh_Hans catalogue and on the pages: issue 14 item 11.

A half-width colon straight after Chinese text is a typo in Chinese; times (12:30), addresses (https:) and code keep
theirs, as none of them follows a Chinese character.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

from districts.models import Community
from districts.services import community_update_survey

CATALOGUE = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
# CJK ideographs, CJK punctuation and full-width forms.
CHINESE = "\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef"
HALF_WIDTH_AFTER_CHINESE = re.compile(rf"[{CHINESE}]\s*:")


def _msgstrs(text: str) -> list[tuple[str, str]]:
    """(msgid, msgstr) of every translation in a .po file, plural forms included, continuation lines joined."""
    pairs: list[tuple[str, str]] = []
    msgid = ""
    field = ""
    parts: list[str] = []

    def flush() -> None:
        nonlocal msgid
        value = "".join(parts)
        if field == "msgid":
            msgid = value
        elif field.startswith("msgstr"):
            pairs.append((msgid, value))

    for line in text.splitlines():
        keyword = re.match(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?) "(.*)"$', line)
        if keyword:
            flush()
            field, parts = keyword.group(1), [keyword.group(2)]
        elif line.startswith('"') and field:
            parts.append(line[1:-1])
        else:
            flush()
            field, parts = "", []
    flush()
    return pairs


def test_the_catalogue_puts_no_half_width_colon_after_chinese():
    """Issue 14 item 11."""
    pairs = _msgstrs(CATALOGUE.read_text(encoding="utf-8"))
    assert len(pairs) > 1000
    assert [(msgid, msgstr) for msgid, msgstr in pairs if re.search(rf"[{CHINESE}]:", msgstr)] == []


def test_the_catalogue_gives_django_form_labels_a_full_width_colon():
    """Issue 14 item 11: Django's own catalogue leaves the label suffix ":" half-width in Chinese."""
    assert (":", "：") in _msgstrs(CATALOGUE.read_text(encoding="utf-8"))


def _visible_text(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", "", html)


@pytest.mark.django_db
def test_forms_and_lists_put_full_width_colons_after_chinese_labels(commission_admin, heping_staff, client_for):
    """Issue 14 item 11: form labels in the admin ("户数："), the audit trail's object kinds ("社区：…")."""
    community = Community.objects.filter(district__code="120101").order_by("code").first()
    community_update_survey(community=community, data={"households": 1200}, by=heping_staff)
    pages = [
        (heping_staff, f"/communities/{community.code}/edit/"),
        (commission_admin, "/acceptance/rounds/"),
        (commission_admin, f"/admin/districts/community/{community.pk}/change/"),
        (commission_admin, "/audit/"),
    ]
    found = {}
    for user, url in pages:
        response = client_for(user).get(url)
        assert response.status_code == 200, url
        found[url] = HALF_WIDTH_AFTER_CHINESE.findall(_visible_text(response.content.decode()))
    assert found == {url: [] for _user, url in pages}
    admin = client_for(commission_admin).get(f"/admin/districts/community/{community.pk}/change/").content.decode()
    assert re.search(r"<label[^>]*>户数：</label>", admin)
    assert "社区：" in _visible_text(client_for(commission_admin).get("/audit/").content.decode())
