"""Deadline day on the portal: 80 district officers finishing the month's report, 10 commission users on the
dashboards and 20 inspectors answering checklists on site, all at once.

Each simulated user logs in once through /accounts/login/ (with the CSRF cookie and token, as a browser does) and
then works through its steps with a think time between them. Behind the portal's TLS proxy the browser speaks HTTPS:
every request carries the proxy's X-Forwarded-Proto header and posts carry the Origin a browser sends.

A 409 on a narrative save, or the conflict form an htmx row save answers with, is what a real user meets when a
colleague saved first: the user reloads and redoes the change. Those are counted as conflicts, not errors. Every
successful save is recorded (kind, object, version, a token written into the saved text) and written at the end to
LOADTEST_OUT/scenario.json, which loadtest/verify.py compares with the database.
"""

from __future__ import annotations

import html
import json
import os
import random
import re
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.cookiejar import DefaultCookiePolicy
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import gevent
from locust import HttpUser, events, task

PLAN = json.loads(Path(os.environ.get("LOADTEST_PLAN", "loadtest/results/plan.json")).read_text(encoding="utf-8"))
OUT = Path(os.environ.get("LOADTEST_OUT", "loadtest/results"))
# Officers submit between these shares of the run, so every district's report goes in while the others still work,
# and at the latest SUBMIT_MARGIN seconds before the end, so a step in progress cannot push it past a short run.
SUBMIT_WINDOW = (0.45, 0.8)
SUBMIT_MARGIN = 30.0
RESULTS = ("meets", "meets", "meets", "meets", "meets", "meets", "meets", "fails")
NOT_APPLICABLE_ALLOWED = {10, 16}
FINDINGS = ("台账资料齐全", "现场查看设施完好", "居民访谈反映良好", "公示栏内容已更新", "需补充会议记录")


LOOPBACK = {"127.0.0.1", "localhost", "::1"}
_return_ok_secure = DefaultCookiePolicy.return_ok_secure


def _loopback_is_secure(policy: DefaultCookiePolicy, cookie: Any, request: Any) -> bool:
    """Send Secure cookies to the loopback address, as browsers do (they treat loopback as a secure context); the
    portal marks its session and CSRF cookies Secure in production. Patched on the class because requests builds a
    new cookie jar, with the default policy, for every request."""
    host = urlsplit(request.get_full_url()).hostname or ""
    return host in LOOPBACK or _return_ok_secure(policy, cookie, request)


DefaultCookiePolicy.return_ok_secure = _loopback_is_secure


@dataclass
class Outcomes:
    """What the scenario did, for the report and for the comparison with the database."""

    saves: Counter = field(default_factory=Counter)
    conflicts: Counter = field(default_factory=Counter)
    # row pk → [version after the save, stage sent, token]; the highest version is what the database must hold.
    rows: dict[int, list] = field(default_factory=dict)
    # report pk → [version after the save, token]
    narratives: dict[int, list] = field(default_factory=dict)
    # "inspection:item" → [result, token]: each inspector answers alone, so the last answer sent is the one kept.
    answers: dict[str, list] = field(default_factory=dict)
    signed: list[int] = field(default_factory=list)
    submissions: dict[int, dict] = field(default_factory=dict)

    def row_saved(self, row: int, version: int, stage: str, token: str) -> None:
        if row not in self.rows or self.rows[row][0] < version:
            self.rows[row] = [version, stage, token]

    def narrative_saved(self, report: int, version: int, token: str) -> None:
        if report not in self.narratives or self.narratives[report][0] < version:
            self.narratives[report] = [version, token]


OUTCOMES = Outcomes()
STARTED = {"at": time.monotonic(), "run_time": 180.0}


@dataclass
class Desk:
    """One district's report on deadline day, shared by its five officers (all users run in one process)."""

    code: str
    report: int
    officers: list[str]
    submit_at: float = 0.0
    closing: bool = False  # the submitter asked colleagues to stop editing
    submitted: bool = False
    in_flight: int = 0  # saves sent and not yet answered


DESKS = {d["code"]: Desk(code=d["code"], report=d["report"], officers=d["officers"]) for d in PLAN["districts"]}
# Every district's first officer (its submitter) logs in first, then every district's second, and so on, so a run with
# fewer officers (LOADTEST_OFFICERS) still covers every district.
OFFICERS = [
    (username, desk)
    for number in range(5)
    for desk in DESKS.values()
    for username in desk.officers[number : number + 1]
]
INSPECTORS = list(PLAN["inspectors"])
COMMISSION = list(PLAN["commission"])
ASSIGNED: dict[type, int] = Counter()


@events.test_start.add_listener
def _on_test_start(environment: Any, **_kwargs: Any) -> None:
    STARTED["at"] = time.monotonic()
    run_time = getattr(environment.parsed_options, "run_time", None) if environment.parsed_options else None
    STARTED["run_time"] = float(run_time or 180)
    rng = random.Random(2022)
    for desk in DESKS.values():
        desk.submit_at = min(STARTED["run_time"] * rng.uniform(*SUBMIT_WINDOW), STARTED["run_time"] - SUBMIT_MARGIN)


# Every request: (seconds since the start when it was sent, kind, milliseconds, failed), so the figures can also be
# given for the time after the last user logged in (steady work, without the arrival's queue).
REQUESTS: list[tuple[float, str, float, bool]] = []


@events.request.add_listener
def _on_request(name: str, response_time: float, exception: Any = None, **_kwargs: Any) -> None:
    sent = time.monotonic() - STARTED["at"] - response_time / 1000
    REQUESTS.append((round(sent, 3), name, round(response_time, 1), exception is not None))


@events.test_stop.add_listener
def _on_test_stop(environment: Any, **_kwargs: Any) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with (OUT / "requests.csv").open("w", encoding="utf-8") as handle:
        handle.write("sent_s,kind,ms,failed\n")
        handle.writelines(f"{sent},{name},{ms},{int(failed)}\n" for sent, name, ms, failed in REQUESTS)
    payload = {
        "saves": dict(OUTCOMES.saves),
        "conflicts": dict(OUTCOMES.conflicts),
        "rows": OUTCOMES.rows,
        "narratives": OUTCOMES.narratives,
        "answers": OUTCOMES.answers,
        "signed": OUTCOMES.signed,
        "submissions": OUTCOMES.submissions,
        "districts": len(DESKS),
        "unfinished_saves": sum(desk.in_flight for desk in DESKS.values()),
    }
    (OUT / "scenario.json").write_text(json.dumps(payload, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def _next_login(kind: type, pool: list) -> Any:
    index = ASSIGNED[kind]
    ASSIGNED[kind] += 1
    return pool[index % len(pool)]


# --- parsing the pages, as the browser reads them ------------------------------------------------------------

ROW_RE = re.compile(r'<tr id="row-(\d+)" class="stage-(\w+)[^"]*">(.*?)</tr>', re.S)
STAGE_FORM_VERSION_RE = re.compile(r'name="only" value="stage"><input type="hidden" name="version" value="(\d+)"')
MEETS_RE = re.compile(r"</span> (\d+)/16</td>")
NARRATIVE_VERSION_RE = re.compile(r'name="version" value="(\d+)"[^>]*id="id_version"')
TEXTAREA_RE = re.compile(r'<textarea name="(\w+)"[^>]*>(.*?)</textarea>', re.S)
FORM_VERSION_RE = re.compile(r'<input type="hidden" name="version" value="(\d+)">')
CSRF_INPUT_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
ANSWER_URL_RE = re.compile(r'data-answer-url="/inspect/answer/(\d+)/"')
ANSWERED_RE = re.compile(r'<fieldset id="item-(\d+)" class="[^"]*" data-item="\d+" data-saved-at=')
PAGES_RE = re.compile(r'<nav class="pagination rows-pager"[^>]* data-pages="(\d+)"')


def _selected(block: str) -> str:
    match = re.search(r'<option value="(\w+)" selected>', block)
    return match.group(1) if match else ""


def parse_rows(page: str) -> list[dict]:
    """The editable rows of a report page: pk, stage, version of the inline stage picker, items met of 16."""
    rows = []
    for pk, stage, body in ROW_RE.findall(page):
        version = STAGE_FORM_VERSION_RE.search(body)
        meets = MEETS_RE.search(body)
        if version and stage != "withdrawn":
            rows.append({"pk": int(pk), "stage": stage, "version": int(version.group(1)), "meets": int(meets.group(1))})
    return rows


def parse_pages(page: str) -> int:
    """How many pages the report's community table has (the pager is shown only when there is more than one)."""
    match = PAGES_RE.search(page)
    return int(match.group(1)) if match else 1


def parse_row_form(partial: str) -> dict | None:
    """The row's edit form: version, stage, each item's state and note."""
    version = FORM_VERSION_RE.search(partial)
    if version is None or 'name="stage"' not in partial:
        return None
    stage_block = partial.split('name="stage"', 1)[1].split("</select>", 1)[0]
    items, notes = {}, {}
    for n in range(1, 17):
        block = partial.split(f'name="item-{n}"', 1)
        if len(block) < 2:
            return None
        items[n] = _selected(block[1].split("</select>", 1)[0]) or "not_started"
        note = re.search(rf'name="note-{n}" value="([^"]*)"', partial)
        notes[n] = html.unescape(note.group(1)) if note else ""
    return {"version": int(version.group(1)), "stage": _selected(stage_block), "items": items, "notes": notes}


# --- the users -----------------------------------------------------------------------------------------------


class PortalUser(HttpUser):
    """Logs in once, then runs its steps one at a time with its think time between them."""

    abstract = True
    think = (3.0, 8.0)

    def wait_time(self) -> float:
        low, high = self.next_think or self.think
        self.next_think = None
        return random.uniform(low, high)

    def on_start(self) -> None:
        origin = "https://" + urlsplit(self.host).netloc
        self.origin = origin
        self.client.headers.update({"X-Forwarded-Proto": "https", "Accept-Language": "zh-CN,zh;q=0.9"})
        self.next_think: tuple[float, float] | None = None
        self.steps: deque[Callable[[], None]] = deque()
        self.seq = 0
        self.login()

    def token(self) -> str:
        self.seq += 1
        return f"{self.username}#{self.seq}"

    def csrf(self) -> str:
        return self.client.cookies.get("csrftoken", "")

    def post_headers(self, referer: str, *, htmx: bool = False, json_answer: bool = False) -> dict[str, str]:
        headers = {"Origin": self.origin, "Referer": self.origin + referer, "X-CSRFToken": self.csrf()}
        if htmx:
            headers |= {"HX-Request": "true", "HX-Current-URL": self.origin + referer}
        if json_answer:
            headers["Accept"] = "application/json"
        return headers

    def login(self) -> None:
        with self.client.get("/accounts/login/", name="login page", catch_response=True) as page:
            token = CSRF_INPUT_RE.search(page.text or "")
            if page.status_code != 200 or token is None:
                page.failure(f"login page: {page.status_code}")
                raise RuntimeError("no login page")
        with self.client.post(
            "/accounts/login/",
            data={"username": self.username, "password": PLAN["password"], "csrfmiddlewaretoken": token.group(1)},
            headers=self.post_headers("/accounts/login/"),
            name="login",
            allow_redirects=False,
            catch_response=True,
        ) as answer:
            if answer.status_code != 302 or "/accounts/login/" in answer.headers.get("Location", ""):
                answer.failure(f"login refused for {self.username}: {answer.status_code}")
                raise RuntimeError("login refused")
        self.client.get("/", name="home")

    def then(self, *steps: Callable[[], None]) -> None:
        self.steps.extend(steps)

    @task
    def step(self) -> None:
        self.take_step()

    def take_step(self) -> None:
        if not self.steps:
            self.plan()
        self.steps.popleft()()

    def plan(self) -> None:
        raise NotImplementedError


class Officer(PortalUser):
    """A district officer: opens the report, turns to a page of the community table, edits rows there (full form or
    the inline stage picker), saves the narrative now and then; each district's first officer submits the report."""

    fixed_count = int(os.environ.get("LOADTEST_OFFICERS", "80"))
    think = (3.0, 8.0)

    def on_start(self) -> None:
        self.username, self.desk = _next_login(Officer, OFFICERS)
        self.number = self.desk.officers.index(self.username)
        self.is_submitter = self.number == 0
        self.submitting = False
        self.rows: list[dict] = []
        self.pages = 1  # of the community table, 50 rows a page
        self.page_narrative: dict | None = None
        super().on_start()
        self.then(self.open_list, self.open_report)

    @property
    def report_url(self) -> str:
        return f"/reports/{self.desk.report}/"

    def take_step(self) -> None:
        if self.is_submitter and not self.desk.submitted and time.monotonic() - STARTED["at"] >= self.desk.submit_at:
            # Submission time: whatever was planned next waits; the report goes in now.
            self.steps.clear()
            self.submit()
            return
        super().take_step()

    def plan(self) -> None:
        if self.desk.submitted or self.desk.closing:
            # The report is in (or going in): look at it and at the district's dashboard, edit nothing.
            self.then(self.open_list, self.open_report, self.open_dashboard)
            return
        steps: list[Callable[[], None]] = [self.open_report, self.open_rows_page]
        for _ in range(random.randint(2, 4)):
            if random.random() < 0.3:
                steps.append(self.change_stage)
            else:
                steps.append(self.edit_row)
        if random.random() < 0.35 or self.is_submitter:
            steps.append(self.save_narrative)
        if random.random() < 0.2:
            steps.insert(0, self.open_list)
        self.then(*steps)

    def editing_allowed(self) -> bool:
        return self.submitting or not (self.desk.closing or self.desk.submitted)

    # --- pages ---

    def open_list(self) -> None:
        with self.client.get("/reports/", name="report list", catch_response=True) as page:
            if page.status_code == 200 and self.report_url not in (page.text or ""):
                page.failure("the due report is not on the list")
        self.next_think = (1.0, 4.0)

    def open_report(self) -> str:
        with self.client.get(self.report_url, name="report page", catch_response=True) as page:
            text = page.text or ""
            if page.status_code != 200:
                return ""
            self.rows = parse_rows(text)
            self.pages = parse_pages(text)
            version = NARRATIVE_VERSION_RE.search(text)
            fields = {name: html.unescape(value).lstrip("\n") for name, value in TEXTAREA_RE.findall(text)}
            self.page_narrative = {"version": int(version.group(1)), "fields": fields} if version else None
            if self.editing_allowed() and (not self.rows or self.page_narrative is None):
                page.failure("the report page offers nothing to edit")
        self.next_think = (3.0, 8.0)
        return text

    def open_dashboard(self) -> None:
        self.client.get("/dashboard/", name="dashboard (district staff)")
        self.next_think = (10.0, 25.0)

    # --- community rows ---

    def open_rows_page(self) -> None:
        """In a district with more communities than one page of the table shows, turn to a page of "their" share
        (85 %) or any other: the pager swaps the table alone (htmx). With one page there is nothing to do."""
        if self.pages <= 1 or not self.editing_allowed():
            self.next_think = (0.0, 0.0)
            return
        officers = len(self.desk.officers)
        mine = [n for n in range(1, self.pages + 1) if (n - 1) % officers == self.number]
        number = random.choice(mine if mine and random.random() < 0.85 else range(1, self.pages + 1))
        if number == 1:
            self.next_think = (0.0, 0.0)  # the page already shown
            return
        with self.htmx_get(f"{self.report_url}rows/?page={number}", name="report rows page") as partial:
            text = partial.text or ""
            if partial.status_code == 200 and '<tr id="row-' not in text:
                partial.failure(f"page {number} of the table has no rows")
                return
        self.rows = parse_rows(text) or self.rows  # a page of withdrawn communities only: stay on the last one
        self.next_think = (2.0, 5.0)

    def pick_row(self) -> dict | None:
        if not self.rows:
            return None
        if self.pages > 1:  # the page turned to is already the officer's share (or, 15 %, someone else's)
            return random.choice(self.rows)
        mine = self.rows[self.number :: len(self.desk.officers)] or self.rows
        return random.choice(mine if random.random() < 0.85 else self.rows)

    def htmx_get(self, url: str, *, name: str) -> Any:
        """A GET as htmx sends it from the report page (the answer is checked by the caller)."""
        return self.client.get(
            url,
            headers={"HX-Request": "true", "HX-Current-URL": self.origin + self.report_url},
            name=name,
            catch_response=True,
        )

    def row_form(self, pk: int) -> dict | None:
        with self.htmx_get(f"{self.report_url}rows/{pk}/", name="row form") as partial:
            form = parse_row_form(partial.text or "") if partial.status_code == 200 else None
            if partial.status_code == 200 and form is None:
                partial.failure("row form without its fields")
        return form

    def edit_row(self) -> None:
        """Open a community's row, fill it in (the think time), save; on a conflict, reopen it and redo."""
        row = self.pick_row()
        if row is None or not self.editing_allowed():
            return
        form = self.row_form(row["pk"])
        if form is None:
            return
        gevent.sleep(random.uniform(5.0, 15.0))  # reading the 16 items and choosing
        for _attempt in range(3):
            if not self.editing_allowed():
                return
            values = self.changed(form)
            outcome = self.post_row(row["pk"], values, kind="row save")
            if outcome != "conflict":
                return
            form = self.row_form(row["pk"])  # reload and redo
            if form is None:
                return

    def changed(self, form: dict) -> dict[str, Any]:
        """The form with one item moved on and a note carrying this save's token."""
        items, notes = dict(form["items"]), dict(form["notes"])
        open_items = [n for n, s in items.items() if s in ("not_started", "in_progress")]
        number = random.choice(open_items) if open_items else random.randint(1, 16)
        if items[number] == "not_started":
            items[number] = "in_progress"
        elif items[number] == "in_progress" and form["stage"] != "not_started":
            items[number] = "meets"
        stage = form["stage"]
        if stage == "not_started" and any(s != "not_started" for s in items.values()):
            stage = "creating"
        if stage == "meets" and any(s not in ("meets", "not_applicable") for s in items.values()):
            stage = "creating"
        token = self.token()
        notes[number] = f"截止日核对：{random.choice(FINDINGS)} [{token}]"
        data = {"version": form["version"], "stage": stage, "token": token}
        for n in range(1, 17):
            data[f"item-{n}"] = items[n]
            data[f"note-{n}"] = notes[n]
        return data

    def post_row(self, pk: int, values: dict[str, Any], *, kind: str) -> str:
        token = values.pop("token")
        self.desk.in_flight += 1
        try:
            with self.client.post(
                f"{self.report_url}rows/{pk}/",
                data={**values, "csrfmiddlewaretoken": self.csrf()},
                headers=self.post_headers(self.report_url, htmx=True),
                name=kind,
                catch_response=True,
            ) as answer:
                text = answer.text or ""
                if answer.status_code != 200:
                    return "error"
                if 'class="conflict"' in text:
                    OUTCOMES.conflicts[kind] += 1
                    return "conflict"
                if "just-saved" not in text or "errorlist" in text:
                    answer.failure(f"{kind} refused: {re.sub(r'<[^>]+>', ' ', text)[:200]}")
                    return "error"
                OUTCOMES.saves[kind] += 1
                OUTCOMES.row_saved(pk, int(values["version"]) + 1, values["stage"], token)
                return "saved"
        finally:
            self.desk.in_flight -= 1

    def change_stage(self) -> None:
        """The inline stage picker in the table: a community starts creating, or one meeting all 16 items meets."""
        if not self.editing_allowed():
            return
        candidates = [r for r in self.rows if r["stage"] == "not_started"]
        candidates += [r for r in self.rows if r["stage"] == "creating" and r["meets"] == 16]
        if not candidates:
            self.edit_row()
            return
        row = random.choice(candidates)
        stage = "creating" if row["stage"] == "not_started" else "meets"
        version = row["version"]
        for _attempt in range(3):
            if not self.editing_allowed():
                return
            outcome = self.post_row(
                row["pk"], {"only": "stage", "version": version, "stage": stage, "token": ""}, kind="stage save"
            )
            if outcome != "conflict":
                row["stage"] = stage if outcome == "saved" else row["stage"]
                return
            form = self.row_form(row["pk"])  # reload and redo
            if form is None or form["stage"] == stage:
                return
            version = form["version"]

    # --- the narrative and the submission ---

    def narrative_data(self, narrative: dict, token: str) -> dict[str, str]:
        fields = dict(narrative["fields"])
        kept = [line for line in fields.get("progress", "").splitlines() if "核对更新 [" not in line]
        if not any(line.strip() for line in kept):
            kept = [f"本月{self.desk.code}辖区各街道按创建标准推进社区自评，截止日前完成台账核对。"]
        kept.append(f"{time.strftime('%H:%M')} {self.username} 核对更新 [{token}]")
        fields["progress"] = "\n".join(kept)
        fields["next_plan"] = fields.get("next_plan") or "下月督促在创社区对照16项标准整改提升。"
        return fields

    def save_narrative(self) -> None:
        """Save the narrative typed on the page; a 409 means a colleague saved first: reload, redo, save."""
        narrative = self.page_narrative
        for _attempt in range(3):
            if narrative is None or not self.editing_allowed():
                return
            token = self.token()
            data = self.narrative_data(narrative, token)
            version = narrative["version"]
            self.desk.in_flight += 1
            try:
                with self.client.post(
                    f"{self.report_url}narrative/",
                    data={"csrfmiddlewaretoken": self.csrf(), "version": version, **data},
                    headers=self.post_headers(self.report_url),
                    name="narrative save",
                    allow_redirects=False,
                    catch_response=True,
                ) as answer:
                    if answer.status_code == 409:
                        OUTCOMES.conflicts["narrative save"] += 1
                        answer.success()
                        conflict = True
                    elif answer.status_code == 302:
                        OUTCOMES.saves["narrative save"] += 1
                        OUTCOMES.narrative_saved(self.desk.report, version + 1, token)
                        conflict = False
                    else:
                        answer.failure(f"narrative save: {answer.status_code}")
                        return
            finally:
                self.desk.in_flight -= 1
            self.open_report()  # the redirect after the save, or the reload after a conflict
            if not conflict:
                return
            narrative = self.page_narrative

    def submit(self) -> None:
        """Tell colleagues to stop, wait for their saves in flight, save the narrative and submit."""
        self.desk.closing = True
        waited = time.monotonic()
        while self.desk.in_flight and time.monotonic() - waited < 30:
            gevent.sleep(0.2)
        self.submitting = True  # the submitter's own last save goes in while the others wait
        self.open_report()
        self.save_narrative()
        self.submitting = False
        with self.client.post(
            f"{self.report_url}submit/",
            data={"csrfmiddlewaretoken": self.csrf()},
            headers=self.post_headers(self.report_url),
            name="submit",
            allow_redirects=False,
            catch_response=True,
        ) as answer:
            if answer.status_code != 302:
                answer.failure(f"submit: {answer.status_code}")
                return
        page = self.open_report()
        if 'class="flag status-submitted"' in page or 'class="flag status-resubmitted"' in page:
            self.desk.submitted = True
            OUTCOMES.saves["submit"] += 1
            OUTCOMES.submissions[self.desk.report] = {"district": self.desk.code, "by": self.username}
        else:
            events.request.fire(
                request_type="CHECK",
                name="submit",
                response_time=0,
                response_length=0,
                exception=RuntimeError("the report is not submitted after the submit"),
            )
        self.next_think = (5.0, 10.0)


class Commission(PortalUser):
    """A commission user following the deadline day: city dashboard, ranking, district drill-down, the API."""

    fixed_count = int(os.environ.get("LOADTEST_COMMISSION", "10"))
    think = (5.0, 15.0)
    SORTS = ("met_share", "-met_share", "status", "pilot_coverage", "reporting_rate", "timeliness", "name")

    def on_start(self) -> None:
        self.username = _next_login(Commission, COMMISSION)
        self.map_loaded = False
        super().on_start()

    def plan(self) -> None:
        steps = [self.dashboard, self.ranking, self.district, self.api_progress]
        random.shuffle(steps)
        self.then(self.dashboard, *steps[: random.randint(2, 4)])

    def dashboard(self) -> None:
        self.client.get("/dashboard/", name="dashboard")
        if not self.map_loaded:  # the page's script fetches the map once; the browser keeps it
            self.client.get("/dashboard/map/tianjin-districts.geojson", name="dashboard map")
            self.map_loaded = True

    def ranking(self) -> None:
        self.client.get(f"/dashboard/?sort={random.choice(self.SORTS)}", name="dashboard ranking")

    def district(self) -> None:
        code = random.choice(list(DESKS))
        self.client.get(f"/dashboard/district/{code}/", name="dashboard district")

    def api_progress(self) -> None:
        if random.random() < 0.5:
            self.client.get("/api/v1/progress/", name="api progress")
        else:
            code = random.choice(list(DESKS))
            self.client.get(f"/api/v1/progress/?level=street&district={code}", name="api progress")


class Inspector(PortalUser):
    """An inspector on site: the assignment list, the checklist, one answer per item, then the signature."""

    fixed_count = int(os.environ.get("LOADTEST_INSPECTORS", "20"))
    think = (4.0, 12.0)

    def on_start(self) -> None:
        entry = _next_login(Inspector, INSPECTORS)
        self.username = entry["username"]
        self.assignments = list(entry["assignments"])
        self.inspection: int | None = None
        self.answered: set[int] = set()
        super().on_start()

    def plan(self) -> None:
        if self.inspection is None:
            if not self.assignments:
                self.then(self.list_assignments)  # all done: the list shows what was signed
                self.next_think = (20.0, 40.0)
                return
            self.then(self.list_assignments, self.open_checklist)
            return
        missing = [n for n in range(1, 17) if n not in self.answered]
        if missing:
            item = missing[0] if random.random() < 0.9 or not self.answered else random.choice(sorted(self.answered))
            self.then(lambda: self.answer(item))
        else:
            self.then(self.sign)

    def list_assignments(self) -> None:
        with self.client.get("/inspect/", name="inspect list", catch_response=True) as page:
            if page.status_code == 200 and self.assignments and f"/inspect/{self.assignments[0]}/" not in page.text:
                page.failure("the assignment is not on the inspector's list")
        self.next_think = (2.0, 5.0)

    def open_checklist(self) -> None:
        checklist = f"/inspect/{self.assignments[0]}/"
        with self.client.get(checklist, name="checklist", catch_response=True) as page:
            text = page.text or ""
            if page.status_code != 200 or "data-start-url=" not in text:
                page.failure(f"checklist: {page.status_code}")
                return
            match = ANSWER_URL_RE.search(text)
            if match is not None:  # started earlier: carry on where it was left
                self.inspection = int(match.group(1))
                self.answered = {int(n) for n in ANSWERED_RE.findall(text)}
        if self.inspection is None:
            # Opening the checklist changes nothing; as in the browser, the inspection starts (POST) before the
            # first answer is sent.
            with self.client.post(
                f"{checklist}start/",
                headers=self.post_headers(checklist, json_answer=True),
                name="inspection start",
                catch_response=True,
            ) as start:
                try:
                    body = start.json()
                except ValueError:
                    body = {}
                if start.status_code != 200 or not body.get("ok"):
                    start.failure(f"start refused: {start.status_code} {body.get('error', '')}")
                    return
                self.inspection, self.answered = int(body["inspection"]), set()
        self.next_think = (5.0, 15.0)

    def answer(self, item: int) -> None:
        result = random.choice(RESULTS)
        if item in NOT_APPLICABLE_ALLOWED and random.random() < 0.2:
            result = "not_applicable"
        token = self.token()
        note = f"{random.choice(FINDINGS)} [{token}]"
        with self.client.post(
            f"/inspect/answer/{self.inspection}/",
            data={"item": str(item), "result": result, "note": note},
            headers=self.post_headers(f"/inspect/{self.assignments[0]}/", json_answer=True),
            name="answer save",
            catch_response=True,
        ) as answer:
            try:
                body = answer.json()
            except ValueError:
                body = {}
            if answer.status_code != 200 or not body.get("ok"):
                answer.failure(f"answer refused: {answer.status_code} {body.get('error', '')}")
                return
        OUTCOMES.saves["answer save"] += 1
        OUTCOMES.answers[f"{self.inspection}:{item}"] = [result, token]
        self.answered.add(item)
        self.next_think = (4.0, 12.0)

    def sign(self) -> None:
        url = f"/inspect/sign/{self.inspection}/"
        self.client.get(url, name="sign page")
        gevent.sleep(random.uniform(5.0, 10.0))  # reading the summary
        with self.client.post(
            url,
            data={"csrfmiddlewaretoken": self.csrf(), "confirm": "1", "summary": "现场核查完成，资料与自评一致。"},
            headers=self.post_headers(url),
            name="sign",
            allow_redirects=False,
            catch_response=True,
        ) as answer:
            if answer.status_code != 302:
                answer.failure(f"sign: {answer.status_code}")
                return
            record = answer.headers.get("Location", "")
        OUTCOMES.saves["sign"] += 1
        OUTCOMES.signed.append(self.inspection)
        self.client.get(record, name="inspection record")
        self.assignments.pop(0)
        self.inspection, self.answered = None, set()
        self.next_think = (10.0, 20.0)
