"""Check the load test's outcome and print its figures.

Targets: p95 over all requests ≤ 300 ms; no errors (a 409 conflict is expected and counted apart); and everything
the scenario counted as done is in the database: each submitted report in status submitted (or resubmitted, for one
the commission had returned) with its ReportEvent by the officer who submitted it; as many audited row, stage,
narrative and answer saves as the scenario counted, and each object holding what its last successful save wrote.

Reads OUT_DIR/plan.json, scenario.json (written by the locustfile), locust.json and loadavg.txt; writes
OUT_DIR/summary.json and OUT_DIR/summary.md. Exits 1 when a target is missed.
Usage: DATABASE_URL=... python loadtest/verify.py OUT_DIR
"""

from __future__ import annotations

import json
import os
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The target. LOADTEST_P95_MS=off leaves it unchecked (the figures are printed either way): for a smoke run on a
# shared machine such as CI's, where response times measure the neighbours as much as the portal.
P95_SETTING = os.environ.get("LOADTEST_P95_MS", "300").strip().lower()
P95_TARGET_MS = None if P95_SETTING == "off" else int(P95_SETTING)


# Each user's one-off arrival: the login page, the login itself (a deliberately slow password hash) and the home page.
ARRIVAL = ("login page", "login", "home")


def _percentile(histogram: Counter, share: float) -> int | None:
    """The response time `share` of the requests stay within, from Locust's rounded histogram, computed as Locust
    computes its own percentiles."""
    total = sum(histogram.values())
    if not total:
        return None
    processed = 0
    for value in sorted(histogram, reverse=True):
        processed += histogram[value]
        if total - processed <= total * share:
            return value
    return min(histogram)


def _figures(name: str, entries: list[dict], seconds: float) -> dict:
    histogram: Counter = Counter()
    for entry in entries:
        for value, count in entry["response_times"].items():
            histogram[round(float(value))] += count
    requests = sum(e["num_requests"] for e in entries)
    return {
        "kind": name,
        "requests": requests,
        "failures": sum(e["num_failures"] for e in entries),
        "median_ms": _percentile(histogram, 0.5),
        "p95_ms": _percentile(histogram, 0.95),
        "p99_ms": _percentile(histogram, 0.99),
        "max_ms": round(max((e["max_response_time"] or 0 for e in entries), default=0)),
        "rps": round(requests / seconds, 2) if seconds else 0,
    }


def load_stats(out: Path) -> tuple[list[dict], dict, dict]:
    """Per kind, over all requests, and over all but the arrival (the figures once everyone is logged in)."""
    entries = json.loads((out / "locust.json").read_text(encoding="utf-8"))
    started = min((e["start_time"] for e in entries), default=0)
    seconds = max((e["last_request_timestamp"] or 0 for e in entries), default=0) - started
    kinds = [_figures(e["name"], [e], seconds) for e in entries]
    total = _figures("all requests", entries, seconds)
    working = _figures("all but the arrival", [e for e in entries if e["name"] not in ARRIVAL], seconds)
    return kinds, total, working


def after_arrival(out: Path) -> dict:
    """All requests sent after the last login was answered: the steady work, once nobody waits behind a login."""
    path = out / "requests.csv"
    if not path.exists():
        return {}
    rows = [line.split(",") for line in path.read_text(encoding="utf-8").splitlines()[1:]]
    logins = [float(sent) + float(ms) / 1000 for sent, kind, ms, _failed in rows if kind == "login"]
    if not logins:
        return {}
    since = max(logins)
    steady = [(kind, float(ms), failed == "1") for sent, kind, ms, failed in rows if float(sent) >= since]
    histogram = Counter(_rounded(ms) for _kind, ms, _failed in steady)
    last = max(float(sent) + float(ms) / 1000 for sent, _kind, ms, _failed in rows)
    return {
        "kind": f"sent after the last login ({since:.0f} s in)",
        "requests": len(steady),
        "failures": sum(failed for _kind, _ms, failed in steady),
        "median_ms": _percentile(histogram, 0.5),
        "p95_ms": _percentile(histogram, 0.95),
        "p99_ms": _percentile(histogram, 0.99),
        "max_ms": round(max((ms for _kind, ms, _failed in steady), default=0)),
        "rps": round(len(steady) / (last - since), 2) if last > since else 0,
    }


def _rounded(ms: float) -> int:
    """Round as Locust rounds its histograms: to the millisecond below 100 ms, then to two significant digits."""
    if ms < 100:
        return round(ms)
    if ms < 1000:
        return int(round(ms, -1))
    if ms < 10000:
        return int(round(ms, -2))
    return int(round(ms, -3))


def cpu_used(out: Path, requests: int) -> dict:
    """CPU seconds each of our processes used during the run (see cpu.py), and per request in milliseconds."""
    try:
        before = json.loads((out / "cpu_before.json").read_text())
        after = json.loads((out / "cpu_after.json").read_text())
    except (OSError, ValueError):
        return {}
    used = {
        name: round(sum(seconds - before[name].get(pid, 0.0) for pid, seconds in after[name].items()), 1)
        for name in after
    }
    per_request = {f"{name}_ms_per_request": round(1000 * seconds / requests, 1) for name, seconds in used.items()}
    return {**{f"{name}_s": seconds for name, seconds in used.items()}, **per_request} if requests else used


def load_average(out: Path) -> dict:
    path = out / "loadavg.txt"
    samples = [line.split() for line in path.read_text().splitlines()] if path.exists() else []
    one_minute = [float(s[1]) for s in samples if len(s) == 4]
    if not one_minute:
        return {}
    return {
        "1min_min": min(one_minute),
        "1min_max": max(one_minute),
        "1min_mean": round(sum(one_minute) / len(one_minute), 2),
        "at_end": " ".join(samples[-1][1:]),
        "cpus": os.cpu_count(),
    }


def check_database(plan: dict, scenario: dict) -> tuple[dict, list[str]]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "greencommunity.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.contrib.contenttypes.models import ContentType

    from districts.models import AuditEntry
    from reporting.models import Report, ReportEvent
    from standards.models import Inspection, InspectionAnswer, SelfAssessment

    problems: list[str] = []
    saves = scenario["saves"]
    update = AuditEntry.objects.filter(action=AuditEntry.Action.UPDATE)

    def audited(model: type, prefix: str) -> int:
        return update.filter(
            content_type=ContentType.objects.get_for_model(model), actor__username__startswith=prefix
        ).count()

    # Rows: every audited change by an officer is a save the scenario saw succeed, and each row holds its last one.
    row_saves = saves.get("row save", 0) + saves.get("stage save", 0)
    row_audited = audited(SelfAssessment, "officer-")
    if row_saves != row_audited:
        problems.append(f"row saves: scenario counted {row_saves}, the database audited {row_audited}")
    rows = {r.pk: r for r in SelfAssessment.objects.filter(pk__in=[int(pk) for pk in scenario["rows"]])}
    rows_ok = 0
    for pk, (version, stage, token) in scenario["rows"].items():
        row = rows.get(int(pk))
        if row is None or row.version != version or row.stage != stage:
            problems.append(
                f"row {pk}: expected version {version} stage {stage}, found {row and (row.version, row.stage)}"
            )
        elif token and not any(token in note for note in row.notes.values()):
            problems.append(f"row {pk}: the last save's note ({token}) is missing")
        else:
            rows_ok += 1

    narrative_audited = audited(Report, "officer-")
    if saves.get("narrative save", 0) != narrative_audited:
        problems.append(
            f"narrative saves: scenario counted {saves.get('narrative save', 0)}, the database audited {narrative_audited}"
        )
    reports = {r.pk: r for r in Report.objects.filter(pk__in=[d["report"] for d in plan["districts"]])}
    narratives_ok = 0
    for pk, (_version, token) in scenario["narratives"].items():
        if token in reports[int(pk)].progress:
            narratives_ok += 1
        else:
            problems.append(f"report {pk}: the last narrative save ({token}) is missing")

    submitted_ok = 0
    for pk, submission in scenario["submissions"].items():
        report = reports[int(pk)]
        event = ReportEvent.objects.filter(
            report=report,
            action__in=[ReportEvent.Action.SUBMITTED, ReportEvent.Action.RESUBMITTED],
            actor__username=submission["by"],
        ).exists()
        if report.status in (Report.Status.SUBMITTED, Report.Status.RESUBMITTED) and event:
            submitted_ok += 1
        else:
            problems.append(f"report {pk} ({submission['district']}): status {report.status}, event found: {event}")
    if len(scenario["submissions"]) != len(plan["districts"]):
        problems.append(f"only {len(scenario['submissions'])} of {len(plan['districts'])} districts submitted")

    answer_audited = audited(Inspection, "inspector-load-")
    if saves.get("answer save", 0) != answer_audited:
        problems.append(
            f"answer saves: scenario counted {saves.get('answer save', 0)}, the database audited {answer_audited}"
        )
    inspections = {int(key.split(":")[0]) for key in scenario["answers"]}
    stored = {
        f"{a.inspection_id}:{a.item.number}": a
        for a in InspectionAnswer.objects.filter(inspection_id__in=inspections).select_related("item")
    }
    answers_ok = 0
    for key, (result, token) in scenario["answers"].items():
        answer = stored.get(key)
        if answer is None or answer.result != result or token not in answer.note:
            problems.append(
                f"answer {key}: expected {result} [{token}], found {answer and (answer.result, answer.note)}"
            )
        else:
            answers_ok += 1
    if len(stored) != len(scenario["answers"]):
        problems.append(
            f"answers: the scenario answered {len(scenario['answers'])} items, the database holds {len(stored)}"
        )
    signed = Inspection.objects.filter(pk__in=scenario["signed"], status=Inspection.Status.SIGNED).count()
    if signed != len(scenario["signed"]):
        problems.append(f"signatures: scenario counted {len(scenario['signed'])}, the database holds {signed}")
    if scenario.get("unfinished_saves"):
        problems.append(f"{scenario['unfinished_saves']} saves were still unanswered when the run stopped")

    counted = {
        "submissions": {
            "expected": len(plan["districts"]),
            "scenario": len(scenario["submissions"]),
            "database": submitted_ok,
        },
        "row saves": {
            "scenario": row_saves,
            "database": row_audited,
            "rows_checked": len(scenario["rows"]),
            "rows_ok": rows_ok,
        },
        "narrative saves": {
            "scenario": saves.get("narrative save", 0),
            "database": narrative_audited,
            "reports_checked": len(scenario["narratives"]),
            "reports_ok": narratives_ok,
        },
        "answer saves": {
            "scenario": saves.get("answer save", 0),
            "database": answer_audited,
            "answers_checked": len(scenario["answers"]),
            "answers_ok": answers_ok,
        },
        "signatures": {"scenario": len(scenario["signed"]), "database": signed},
    }
    return counted, problems


def markdown(kinds: list[dict], total: dict, working: dict, conflicts: dict) -> str:
    lines = [
        "| kind | requests | req/s | median ms | p95 ms | p99 ms | max ms | errors | 409s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for entry in [*sorted(kinds, key=lambda e: -e["requests"]), working, total]:
        name = entry["kind"] if entry not in (total, working) else f"**{entry['kind']}**"
        conflict = conflicts.get(entry["kind"], "") if entry not in (total, working) else sum(conflicts.values())
        lines.append(
            f"| {name} | {entry['requests']} | {entry['rps']} | {entry['median_ms']} | {entry['p95_ms']} | "
            f"{entry['p99_ms']} | {entry['max_ms']} | {entry['failures']} | {conflict} |"
        )
    return "\n".join(lines)


def main(out: Path) -> int:
    plan = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    scenario = json.loads((out / "scenario.json").read_text(encoding="utf-8"))
    kinds, total, working = load_stats(out)
    steady = after_arrival(out)
    counted, problems = check_database(plan, scenario)
    if P95_TARGET_MS is not None and (total.get("p95_ms") is None or total["p95_ms"] > P95_TARGET_MS):
        problems.insert(0, f"p95 over all requests is {total.get('p95_ms')} ms (target ≤ {P95_TARGET_MS} ms)")
    if total.get("failures", 1):
        problems.insert(0, f"{total.get('failures')} requests failed (see locust_failures.csv)")
    summary = {
        "overall": total,
        "without_arrival_requests": working,
        "after_last_login": steady,
        "kinds": kinds,
        "conflicts": scenario["conflicts"],
        "saves": scenario["saves"],
        "counted": counted,
        "load_average": load_average(out),
        "cpu": cpu_used(out, total.get("requests", 0)),
        "problems": problems,
    }
    (out / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    table = markdown(kinds, total, working, scenario["conflicts"])
    if steady:
        table += (
            f"\n| **{steady['kind']}** | {steady['requests']} | {steady['rps']} | {steady['median_ms']} | "
            f"{steady['p95_ms']} | {steady['p99_ms']} | {steady['max_ms']} | {steady['failures']} | |"
        )
    (out / "summary.md").write_text(table + "\n", encoding="utf-8")
    print(table)
    print()
    for name, figures in counted.items():
        print(f"{name}: " + ", ".join(f"{k} {v}" for k, v in figures.items()))
    print(f"load average (1 min) during the run: {summary['load_average']}")
    print(f"CPU used by the portal's own processes: {summary['cpu']}")
    if problems:
        print("\nTARGETS MISSED:")
        for problem in problems[:40]:
            print(f"  - {problem}")
        return 1
    latency = (
        f"p95 {total['p95_ms']} ms ≤ {P95_TARGET_MS} ms" if P95_TARGET_MS else f"p95 {total['p95_ms']} ms (unchecked)"
    )
    print(f"\nall targets met: {latency}, no errors, every save and submission stored")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit("usage: python loadtest/verify.py OUT_DIR")
    sys.exit(main(Path(sys.argv[1])))
