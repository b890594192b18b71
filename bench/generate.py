"""Synthetic but plausible inventories and rule sets for the smgov benchmark.

Deterministic: the same ``--seed`` and sizes give byte-identical files.

    python bench/generate.py inventory --accounts 10000 --seed 1 --out bench/out/inv.json
    python bench/generate.py rules --count 100 --seed 1 --out bench/out/rules-100

Inventory shape (for N accounts): ~50 departments, N accounts, 5 person-level training records
per account plus 2 department-level records per department, ~51 documents, ~250 metrics,
20 meetings, ~60 alarms, 40 tools, ~140 processes and N/100 incidents (at least 20). A
few percent of the subjects break each baseline rule (missing owner, backup owner or MFA,
personal custody, dormant and unreviewed, webmail admins, ...), so rules produce findings
at a realistic rate. Every reference resolves and the file validates against
``schemas/inventory.schema.json``. It is written as JSON with one collection item per line
(the bulk-data fast path; lines make finding locations meaningful).

Rule sets: the baseline pack (``policies/baseline``) and numbered ``BENCH-nnnn`` rules,
made from copies of baseline rules with varied thresholds plus a few hand-written
templates for scopes the baseline does not cover (training, incident). The rules are
ordered so that every prefix has about the same mix of scopes; a set of N rules is the
first N. Sets of 25 and 50 are baseline rules only; 100 and 200 add BENCH rules.
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import json
import random
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "policies" / "baseline"

#: Bump when the generated inventory changes, so cached files in bench/out are not reused.
GENERATOR_VERSION = 2
#: The assessment date every generated date is relative to; run.py checks with it.
AS_OF = dt.date(2026, 10, 1)

DEPARTMENT_NAMES = [
    "Marketing", "Brand", "Customer Service", "Customer Care EMEA", "Customer Care Americas",
    "Customer Care APAC", "Public Relations", "Corporate Communications", "Investor Relations",
    "Human Resources", "Recruiting", "Employer Branding", "Product Management", "Product Design",
    "Research and Development", "Engineering", "Quality Assurance", "Quality Control",
    "Supply Chain", "Logistics", "Procurement", "Sales EMEA", "Sales Americas", "Sales APAC",
    "Retail Operations", "E-commerce", "Digital", "Data and Analytics", "Finance", "Legal",
    "Compliance", "Risk", "Information Security", "IT Operations", "Facilities",
    "Sustainability", "Community Relations", "Events", "Partnerships", "Dealer Network",
    "Franchise Relations", "Field Service", "Training and Development", "Internal Communications",
    "Government Affairs", "Innovation Lab", "Loyalty Programme", "Pricing", "Strategy", "Foundation",
]  # fmt: skip
#: Departments that do not use social media (accounts there break BND-ACC-009).
NON_SOCIAL = {"Facilities", "Pricing", "Procurement"}

FIRST = [
    "anna", "marco", "julia", "lukas", "sofia", "david", "emma", "noah", "laura", "paul", "chiara",
    "jonas", "elena", "felix", "sara", "tom", "nina", "omar", "ines", "li", "mei", "ravi", "priya",
    "kofi", "amara", "olga", "ivan", "maria", "jose", "lucia", "pierre", "claire", "hans", "greta",
    "yuki", "kenji", "fatima", "ali", "zoe", "liam",
]  # fmt: skip
LAST = [
    "rossi", "muller", "schmidt", "garcia", "martin", "bernard", "smith", "jones", "brown", "wilson",
    "novak", "kowalski", "silva", "santos", "tanaka", "sato", "kim", "park", "chen", "wang",
    "singh", "patel", "okafor", "mensah", "ivanova", "petrov", "dubois", "moreau", "fischer",
    "weber", "ricci", "romano", "costa", "ferreira", "nakamura", "lopez", "perez", "hansen",
    "larsen", "berg",
]  # fmt: skip
WEBMAIL = ["gmail.com", "yahoo.com", "hotmail.com", "outlook.com", "icloud.com", "gmx.de"]
PLATFORMS = [
    ("instagram", 24), ("facebook", 22), ("x", 16), ("linkedin", 14), ("youtube", 8),
    ("tiktok", 8), ("pinterest", 3), ("threads", 3), ("whatsapp", 2),
]  # fmt: skip
#: Platforms the archiving tools cover; regulated accounts elsewhere break BND-REG-001.
ARCHIVED_PLATFORMS = ["instagram", "facebook", "x", "linkedin", "youtube"]
KINDS = [("brand", 30), ("support", 15), ("community", 15), ("campaign", 15), ("personal_brand", 10), ("internal", 15)]
TOPICS = ["social_media_policy", "account_security", "crisis_response", "brand_voice", "privacy_and_gdpr",
          "community_management", "disclosure_rules"]  # fmt: skip
USES = ["brand campaigns", "customer questions", "recruiting", "product feedback", "event promotion",
        "issue monitoring", "community moderation", "competitor benchmarking"]  # fmt: skip


def weighted(rng: random.Random, choices: list[tuple[str, int]]) -> str:
    return rng.choices([c for c, _ in choices], weights=[w for _, w in choices])[0]


def day(offset_days: int) -> str:
    """The ISO date ``offset_days`` before the assessment date (negative: after it)."""
    return (AS_OF - dt.timedelta(days=offset_days)).isoformat()


class People:
    """A deterministic pool of employees with company e-mail addresses."""

    def __init__(self, rng: random.Random, size: int) -> None:
        self.rng = rng
        self.emails = [
            f"{rng.choice(FIRST)}.{rng.choice(LAST)}.{n:06d}@acme-group.example" for n in range(max(size, 10))
        ]

    def pick(self) -> str:
        return self.rng.choice(self.emails)

    def webmail(self) -> str:
        return f"{self.rng.choice(FIRST)}.{self.rng.choice(LAST)}{self.rng.randrange(100)}@{self.rng.choice(WEBMAIL)}"


def generate_inventory(accounts: int, seed: int) -> dict[str, Any]:
    # The organisation's structure depends on the seed only, so that sizes differ only in
    # accounts, training and incidents.
    rng = random.Random(f"smgov-bench-{seed}")
    people = People(rng, 500)

    departments: list[dict[str, Any]] = []
    for n, name in enumerate(DEPARTMENT_NAMES, 1):
        social = name not in NON_SOCIAL
        dept: dict[str, Any] = {
            "id": f"dep-{n:02d}",
            "name": name,
            "head": people.pick(),
            "headcount": rng.randrange(15, 2500),
            "uses_social_media": social,
            "adoption": ("top_down" if rng.random() < 0.6 else "bottom_up") if social else "none",
        }
        if social and rng.random() > 0.06:
            dept["social_media_uses"] = rng.sample(USES, rng.randrange(1, 4))
        departments.append(dept)
    social_depts = [d["id"] for d in departments if d["uses_social_media"]]
    other_depts = [d["id"] for d in departments if not d["uses_social_media"]]

    meetings: list[dict[str, Any]] = []
    for n in range(1, 21):
        uses = rng.random() < 0.9
        meeting: dict[str, Any] = {
            "id": f"mtg-{n:02d}",
            "name": f"{rng.choice(['Weekly', 'Monthly', 'Quarterly'])} social review {n}",
            "cadence": weighted(rng, [("weekly", 4), ("monthly", 10), ("quarterly", 5), ("ad_hoc", 1), ("annual", 1)]),
            "departments": sorted(rng.sample(social_depts, rng.randrange(1, 8))),
            "uses_social_media_information": uses,
            "last_held_on": day(rng.randrange(1, 200)),
        }
        if rng.random() > 0.05:
            meeting["chair"] = people.pick()
        meetings.append(meeting)
    # every department that uses social media sits in one meeting, except a few
    for i, dept_id in enumerate(social_depts):
        if i % 17 != 5:
            target = meetings[i % len(meetings)]
            if target["uses_social_media_information"] and dept_id not in target["departments"]:
                target["departments"] = sorted([*target["departments"], dept_id])

    tools: list[dict[str, Any]] = []
    categories = ["listening", "scheduling", "archiving", "analytics", "publishing", "customer_care", "other"]
    for n in range(1, 41):
        category = categories[n % len(categories)]
        vendor = rng.random() < 0.75
        covered = rng.randrange(10, 20) if category == "listening" else rng.choice([1, 2, 3, 5, 8])
        tool: dict[str, Any] = {
            "id": f"tool-{n:02d}",
            "name": f"{category.replace('_', ' ').title()} suite {n}",
            "category": category,
            "provider": "vendor" if vendor else "in_house",
            "departments": sorted(rng.sample(social_depts, covered)),
            "platforms": ARCHIVED_PLATFORMS[:] if category == "archiving" else rng.sample(ARCHIVED_PLATFORMS, 3),
        }
        if vendor:
            tool["vendor"] = f"Vendor {n} Ltd"
            tool["dpa_signed"] = rng.random() > 0.1
            tool["contract_end_on"] = day(rng.randrange(-900, 60))
        if category == "listening":
            tool["interests"] = rng.sample(["brand", "product", "quality", "customer_service", "competitors",
                                            "reputation", "campaigns"], rng.randrange(1, 5))  # fmt: skip
        if rng.random() > 0.08:
            tool["owner"] = people.pick()
        tools.append(tool)

    documents: list[dict[str, Any]] = [
        {"id": "doc-purpose", "type": "purpose_statement", "title": "Why we are on social media",
         "owner": people.pick(), "approved_by": "Board of Directors", "approved_by_role": "board",
         "approved_on": day(300), "next_review_on": day(-65)},
        {"id": "doc-policy", "type": "social_media_policy", "title": "Group social-media policy",
         "owner": people.pick(), "approved_by": "Executive Committee", "approved_by_role": "executive",
         "approved_on": day(500), "last_reviewed_on": day(120), "next_review_on": day(-245)},
        {"id": "doc-crisis", "type": "crisis_plan", "title": "Social-media crisis plan",
         "owner": people.pick(), "approved_by": "Chief Communications Officer", "approved_by_role": "executive",
         "approved_on": day(200), "next_review_on": day(-165)},
        {"id": "doc-roadmap", "type": "roadmap", "title": "Social business roadmap 2026-2029",
         "owner": people.pick(), "approved_by": "Executive Committee", "approved_by_role": "executive",
         "approved_on": day(150), "horizon_years": 3, "next_review_on": day(-215)},
    ]  # fmt: skip
    for n, dept_id in enumerate(social_depts, 1):
        doc: dict[str, Any] = {
            "id": f"doc-gdl-{n:02d}",
            "type": "guidelines",
            "title": f"Social-media guidelines for {dept_id}",
            "owner": people.pick(),
            "approved_on": day(rng.randrange(30, 700)),
            "next_review_on": day(rng.randrange(-300, 40)),
            "departments": [dept_id],
        }
        if rng.random() > 0.06:
            doc["approved_by"] = people.pick()
            doc["approved_by_role"] = weighted(rng, [("manager", 6), ("executive", 3), ("staff", 1)])
        documents.append(doc)

    metrics: list[dict[str, Any]] = []
    metric_types = [("outcome", 3), ("engagement", 3), ("reach", 2), ("follower_count", 1), ("sentiment", 2),
                    ("service", 2), ("other", 1)]  # fmt: skip
    for dept_id in social_depts:
        for k in range(rng.randrange(2, 11) if rng.random() > 0.05 else 0):
            kind = "outcome" if k == 0 and rng.random() < 0.9 else weighted(rng, metric_types)
            name = {"follower_count": "Followers on main account", "engagement": "Engagement rate",
                    "reach": "Monthly reach", "sentiment": "Net sentiment", "service": "First response time",
                    "outcome": "Leads from social", "other": "Share of voice"}[kind]  # fmt: skip
            metric: dict[str, Any] = {
                "id": f"met-{len(metrics) + 1:04d}",
                "name": name,
                "department": dept_id,
                "type": kind,
                "unit": {"service": "minutes", "reach": "people"}.get(kind, "percent"),
                "reviewed_in": rng.choice(meetings)["id"],
            }
            if rng.random() > 0.1:
                metric["business_outcome"] = rng.choice(["revenue", "customer satisfaction", "retention",
                                                         "cost to serve", "hiring"])  # fmt: skip
            if rng.random() > 0.08:
                metric["target"] = round(rng.uniform(1, 100), 1)
                if rng.random() > 0.1:
                    metric["benchmark"] = round(rng.uniform(1, 100), 1)
            if rng.random() > 0.05:
                metric["owner"] = people.pick()
            metrics.append(metric)

    alarms: list[dict[str, Any]] = []
    for metric in metrics:
        if metric["type"] in ("service", "sentiment") and rng.random() > 0.1:
            alarm: dict[str, Any] = {"id": f"alm-{len(alarms) + 1:04d}", "metric": metric["id"]}
            if rng.random() > 0.05:
                alarm["threshold"] = round(rng.uniform(5, 60))
            if rng.random() > 0.05:
                alarm["owner"] = people.pick()
            if rng.random() > 0.08:
                alarm["channel"] = rng.choice(["pagerduty", "email", "slack #social-alerts"])
            if rng.random() < 0.5:
                alarm["last_triggered_on"] = day(rng.randrange(1, 400))
            alarms.append(alarm)

    processes: list[dict[str, Any]] = []
    process_types = ["customer_service", "product_development", "quality_control", "pr", "brand_valuation",
                     "project_finance", "hr", "marketing", "sales", "other"]  # fmt: skip
    for n, dept_id in enumerate(social_depts):
        for k in range(3):
            uses = rng.random() < 0.8
            process: dict[str, Any] = {
                "id": f"prc-{len(processes) + 1:04d}",
                "name": f"Process {k + 1} of {dept_id}",
                "type": process_types[(n * 3 + k) % len(process_types)],
                "department": dept_id,
                "uses_social_media_information": uses,
                "cadence": weighted(rng, [("regular", 8), ("event_driven", 1), ("ad_hoc", 1)]),
                "two_way": rng.random() < 0.9,
            }
            involved = rng.sample(social_depts, rng.randrange(1, 4))
            process["departments_involved"] = sorted({dept_id, *involved}) if rng.random() > 0.05 else [dept_id]
            if rng.random() > 0.07:
                process["escalates_to"] = sorted(rng.sample(social_depts, rng.randrange(1, 3)))
            if rng.random() > 0.5:
                process["escalation_path"] = "team lead, then department head"
            if rng.random() > 0.05:
                process["owner"] = people.pick()
            processes.append(process)

    feedback = sorted({p["department"] for p in processes if p["type"] in ("quality_control", "product_development")})
    for process in processes:
        if process["type"] == "customer_service" and rng.random() < 0.9:
            process["escalates_to"] = sorted({*process.get("escalates_to", ()), rng.choice(feedback)})
    service_depts = sorted({p["department"] for p in processes if p["type"] == "customer_service"})

    # Accounts and their owners' training records.
    rng = random.Random(f"smgov-bench-{seed}-{accounts}")
    people = People(rng, accounts // 3 + 200)
    # One owner in 25 is never trained (BEL-TRN-001 finds their accounts).
    untrained = {p for p in people.emails if rng.random() < 0.04}
    account_list: list[dict[str, Any]] = []
    training: list[dict[str, Any]] = []
    platforms = list(PLATFORMS)
    for n in range(1, accounts + 1):
        r = rng.random
        platform = weighted(rng, platforms)
        kind = weighted(rng, KINDS)
        status = weighted(rng, [("active", 85), ("dormant", 8), ("retired", 7)])
        if r() < 0.015:
            dept_id = rng.choice(other_depts)
        elif kind == "support" and r() < 0.9:
            dept_id = rng.choice(service_depts)
        else:
            dept_id = rng.choice(social_depts)
        handle = f"acme_{dept_id.replace('-', '')}_{n}"
        acc: dict[str, Any] = {
            "id": f"acc-{n:07d}",
            "platform": platform,
            "handle": f"@{handle}",
            "url": f"https://{platform}.example/{handle}",
            "department": dept_id,
            "kind": kind,
            "status": status,
        }
        owner = people.pick()
        if r() > 0.03:
            acc["owner"] = owner
        x = r()
        if x < 0.02:
            acc["backup_owner"] = owner
        elif x > 0.08:
            acc["backup_owner"] = people.pick()
        acc["owner_seniority"] = weighted(rng, [("junior", 15), ("staff", 40), ("manager", 35), ("executive", 10)])
        speaks = kind in ("brand", "support", "campaign")
        if speaks or r() < 0.1:
            acc["spokesperson_approved"] = r() > 0.08
        admins = list(dict.fromkeys([owner, *[people.pick() for _ in range(rng.randrange(0, 4))]]))
        if len(admins) == 1 and r() < 0.93:
            admins.append(people.pick())
        if r() < 0.03:
            admins.append(people.webmail())
        acc["admins"] = list(dict.fromkeys(admins))
        custody = weighted(rng, [("password_manager", 60), ("sso", 25), ("shared_document", 7), ("personal", 4),
                                 ("unknown", 2), ("", 2)])  # fmt: skip
        if custody:
            acc["credential_custody"] = custody
        y = r()
        if y < 0.88:
            acc["mfa"] = True
        elif y < 0.96:
            acc["mfa"] = False
        if r() > 0.05:
            acc["purpose"] = rng.choice(["customer support", "product news", "recruiting", "local community",
                                         "campaign launches", "investor news"])  # fmt: skip
        if r() > 0.1:
            acc["business_objective"] = rng.choice(["reduce cost to serve", "grow qualified leads",
                                                    "improve retention", "hire engineers"])  # fmt: skip
        created = rng.randrange(100, 5000)
        acc["created_on"] = day(created)
        if status == "dormant":
            acc["last_activity_on"] = day(min(created, rng.randrange(200, 1200)))
            acc["last_reviewed_on"] = day(rng.randrange(5, 90) if r() < 0.75 else rng.randrange(91, 500))
        elif status == "retired":
            acc["last_activity_on"] = day(min(created, rng.randrange(300, 2000)))
            acc["archived"] = r() > 0.12
        else:
            z = r()
            stale = z >= 0.96
            last = rng.randrange(0, 30) if z < 0.8 else rng.randrange(30, 170) if not stale else rng.randrange(181, 600)
            acc["last_activity_on"] = day(min(created, last))
            if stale:
                acc["last_reviewed_on"] = day(rng.randrange(0, 90) if r() < 0.8 else rng.randrange(91, 500))
            else:
                acc["last_reviewed_on"] = day(rng.randrange(0, 330) if r() < 0.92 else rng.randrange(366, 800))
        acc["official"] = kind in ("brand", "support") and r() < 0.8
        acc["verified"] = r() < (0.93 if acc["official"] else 0.3)
        acc["regulated"] = r() < 0.1
        account_list.append(acc)

        # 5 training records, for the owner (or, for untrained owners, for the other admins).
        trainees = [owner] if owner not in untrained else [a for a in acc["admins"] if a != owner] or [people.pick()]
        for k in range(5):
            rec: dict[str, Any] = {
                "id": f"trn-{len(training) + 1:08d}",
                "department": dept_id,
                "person": trainees[k % len(trainees)],
                "topic": TOPICS[(n + k) % len(TOPICS)],
                "completed_on": day(rng.randrange(1, 900)),
                "mandatory": k < 2,
            }
            training.append(rec)

    # Department-level training: trained vs headcount.
    rng = random.Random(f"smgov-bench-{seed}-department-training")
    for dept in departments:
        if not dept["uses_social_media"] or rng.random() < 0.04:
            continue
        for topic in ("social_media_policy", "account_security"):
            ratio = rng.choice([0.3, 0.6, 0.7, 0.85, 0.9, 0.95, 1.0, 1.0, 1.0])
            training.append({
                "id": f"trn-{len(training) + 1:08d}",
                "department": dept["id"],
                "topic": topic,
                "trained": int(dept["headcount"] * ratio),
                "headcount": dept["headcount"],
                "completed_on": day(rng.randrange(10, 500)),
                "mandatory": True,
            })  # fmt: skip

    incidents: list[dict[str, Any]] = []
    rng = random.Random(f"smgov-bench-{seed}-{accounts}-incidents")
    for n in range(1, max(20, accounts // 100) + 1):
        acc = rng.choice(account_list)
        inc: dict[str, Any] = {
            "id": f"inc-{n:06d}",
            "date": day(rng.randrange(0, 700)),
            "account": acc["id"],
            "summary": rng.choice(["offensive reply from brand account", "account takeover attempt",
                                   "leaked product image", "complaint went viral", "wrong price posted"]),
            "handling": "escalated to communications, post removed, statement issued",
            "resolved": rng.random() > 0.06,
        }  # fmt: skip
        if inc["resolved"] and rng.random() > 0.1:
            inc["lessons_learned"] = "review approval flow for replies"
        incidents.append(inc)

    return {
        "version": 1,
        "organisation": {
            "id": "org-acme-group",
            "name": "ACME Group (synthetic benchmark organisation)",
            "industry": "consumer goods",
            "size": "enterprise",
            "employees": sum(d["headcount"] for d in departments),
            "country": "Germany",
            "target_stage": "integration",
            "assessed_on": AS_OF.isoformat(),
        },
        "governance": {
            "executive_sponsor": "Chief Marketing Officer",
            "executive_sponsor_role": "executive",
            "centre_of_excellence": {
                "exists": True,
                "tied_to_strategy": True,
                "lead": "Head of Social Media",
                "departments": social_depts[: len(social_depts) * 9 // 10],
                "budget": True,
            },
            "long_term_plan_years": 1,
            "coordinated_across_departments": False,
        },
        "departments": departments,
        "accounts": account_list,
        "tools": tools,
        "documents": documents,
        "training": training,
        "metrics": metrics,
        "processes": processes,
        "meetings": meetings,
        "alarms": alarms,
        "incidents": incidents,
    }


def dumps_inventory(data: dict[str, Any]) -> str:
    """JSON with one collection item per line: compact, yet findings get distinct lines."""
    parts = ["{"]
    keys = list(data)
    for i, key in enumerate(keys):
        value = data[key]
        sep = "," if i < len(keys) - 1 else ""
        if isinstance(value, list):
            body = ",\n".join(json.dumps(item, ensure_ascii=False) for item in value)
            parts.append(f'"{key}": [\n{body}\n]{sep}')
        else:
            parts.append(f'"{key}": {json.dumps(value, ensure_ascii=False)}{sep}')
    parts.append("}")
    return "\n".join(parts) + "\n"


# ----------------------------------------------------------------------------- rules


def baseline_rules() -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = []
    for path in sorted(BASELINE.glob("*.yaml")):
        if path.name in ("pack.yaml", "stages.yaml"):
            continue
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if isinstance(data, dict) and isinstance(data.get("rules"), list):
            rules.extend(data["rules"])
    return rules


def _walk_conditions(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk_conditions(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk_conditions(value)


def index_unanchored_related(rule: dict[str, Any]) -> bool:
    """Rewrite ``related`` without ``on`` whose ``where`` joins on ``$subject`` by equality.

    ``{related: {collection: C, where: {field: F, equals: {ref: $subject.G}}}}`` compares every
    subject with every item of C (accounts x training: 10^5 x 5*10^5 = 5*10^10 tests at 100k
    accounts), while ``on: {F: G}`` is an index lookup. Both select the same items when F is a
    scalar field, which this only rewrites (F and G plain one-segment names). Returns whether
    the rule changed. The baseline should say it this way itself; the benchmark reports it.
    """
    changed = False
    for key in ("when", "require"):
        for node in _walk_conditions(rule.get(key)):
            related = node.get("related")
            if not isinstance(related, dict) or "on" in related or not isinstance(related.get("where"), dict):
                continue
            where = related["where"]
            members = where["all"] if isinstance(where.get("all"), list) else [where]
            for member in members:
                ref = member.get("equals") if isinstance(member, dict) else None
                if not (isinstance(ref, dict) and isinstance(ref.get("ref"), str)):
                    continue
                theirs, ours = member.get("field", ""), ref["ref"]
                if not ours.startswith("$subject.") or "." in theirs or "$" in theirs or "." in ours[9:]:
                    continue
                related["on"] = {theirs: ours[len("$subject.") :]}
                rest = [m for m in members if m is not member]
                if not rest:
                    del related["where"]
                elif len(rest) == 1:
                    related["where"] = rest[0]
                else:
                    related["where"] = {"all": rest}
                changed = True
                break
    return changed


#: Threshold keys whose numbers a variant may change.
_NUMERIC_KEYS = ("gt", "gte", "lt", "lte", "within_days", "older_than_days")


def vary(rule: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """A copy of ``rule`` with its numeric thresholds moved (same shape, same fields)."""
    out = copy.deepcopy(rule)
    for key in ("when", "require"):
        for node in _walk_conditions(out.get(key)):
            for name in _NUMERIC_KEYS:
                value = node.get(name)
                if isinstance(value, bool) or not isinstance(value, (int, float)):
                    continue
                if isinstance(value, float) and 0 < value < 1:
                    node[name] = round(min(0.95, max(0.05, value * rng.choice([0.6, 0.8, 1.2, 1.4]))), 2)
                elif isinstance(value, int) and value >= 30:
                    node[name] = int(value * rng.choice([0.5, 0.75, 1.5, 2]))
                elif isinstance(value, int) and value >= 2:
                    node[name] = value + rng.choice([-1, 1, 2])
    return out


def _template(rule_id: str, scope: str, title: str, when: Any, require: Any, message: str) -> dict[str, Any]:
    rule: dict[str, Any] = {
        "id": rule_id,
        "title": title,
        "description": "Hand-written benchmark template (bench/generate.py), not part of the baseline.",
        "lever": "diagnostic" if scope in ("training", "incident") else "boundary",
        "stage": "control",
        "severity": "low",
        "scope": scope,
        "require": require,
        "message": message,
        "remediation": "Benchmark rule: no remediation.",
        "references": ["MIP-2015"],
        "tags": ["bench"],
    }
    if when is not None:
        rule["when"] = when
    return rule


def templates() -> list[dict[str, Any]]:
    """Rules for scopes the baseline leaves out, so that the large collections are all checked."""
    return [
        _template("T-TRN-1", "training", "Mandatory training is recent",
                  {"field": "mandatory", "equals": True},
                  {"field": "completed_on", "within_days": 730},
                  "Training {id} ({topic}) of {person} was completed on {completed_on}"),
        _template("T-TRN-2", "training", "Security training is renewed yearly",
                  {"field": "topic", "one_of": ["account_security", "privacy_and_gdpr"]},
                  {"field": "completed_on", "within_days": 540},
                  "Training {id} ({topic}) of {person} is older than 540 days"),
        _template("T-TRN-3", "training", "A training record names a person or counts a department",
                  None,
                  {"any": [{"field": "person", "matches": "@acme-group\\.example$"},
                           {"all": [{"field": "trained", "exists": True}, {"field": "headcount", "gte": 1}]}]},
                  "Training {id} has neither a company person nor a head count"),
        _template("T-ACC-1", "account", "Live accounts are active in the last 60 days",
                  {"field": "status", "equals": "active"},
                  {"field": "last_activity_on", "within_days": 60},
                  "Account {id} last posted on {last_activity_on}"),
        _template("T-ACC-2", "account", "Official accounts are verified",
                  {"all": [{"field": "official", "equals": True}, {"not": {"field": "status", "equals": "retired"}}]},
                  {"field": "verified", "equals": True},
                  "Official account {id} ({handle}) is not verified"),
        _template("T-INC-1", "incident", "Incidents are resolved within 14 days",
                  {"field": "date", "older_than_days": 14},
                  {"all": [{"field": "resolved", "equals": True}, {"field": "handling", "exists": True}]},
                  "Incident {id} on {account} is not resolved"),
    ]  # fmt: skip


def _interleave(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Order rules so that every prefix has about the same share of each scope."""
    by_scope: dict[str, list[dict[str, Any]]] = {}
    for rule in rules:
        by_scope.setdefault(rule["scope"], []).append(rule)
    keyed = [
        ((rank + 0.5) / len(group), scope, rank, rule)
        for scope, group in sorted(by_scope.items())
        for rank, rule in enumerate(group)
    ]
    return [item[3] for item in sorted(keyed, key=lambda k: k[:3])]


def rule_pool(count: int, seed: int) -> tuple[list[dict[str, Any]], list[str]]:
    """The first ``count`` rules of the benchmark's ordered pool, and notes on rewrites."""
    rng = random.Random(f"smgov-bench-rules-{seed}")
    notes: list[str] = []
    base = baseline_rules()
    for rule in base:
        if index_unanchored_related(rule):
            notes.append(
                f"{rule['id']}: 'related' without 'on' joined by equality on $subject; "
                f"the benchmark uses the equivalent indexed form on: {_on_of(rule)}"
            )
    if not base:
        raise SystemExit(f"no baseline rules found in {BASELINE}")
    shuffled = base[:]
    rng.shuffle(shuffled)
    ordered = _interleave(shuffled)
    extras: list[dict[str, Any]] = []
    number = 0
    cycle = 0
    while len(ordered) + len(extras) < count:
        sources = templates() + _interleave(shuffled) if cycle == 0 else _interleave(shuffled)
        batch = []
        for source in sources:
            number += 1
            variant = vary(source, rng)
            variant["title"] = f"[variant of {source['id']}] {source['title']}"
            variant["id"] = f"BENCH-{number:04d}"
            variant["tags"] = sorted({*variant.get("tags", ()), "bench"})
            batch.append(variant)
        extras.extend(_interleave(batch))
        cycle += 1
    return (ordered + extras)[:count], notes


def _on_of(rule: dict[str, Any]) -> str:
    for key in ("when", "require"):
        for node in _walk_conditions(rule.get(key)):
            if isinstance(node.get("related"), dict) and "on" in node["related"]:
                return json.dumps(node["related"]["on"])
    return "?"  # pragma: no cover


def write_rules(count: int, seed: int, out: Path) -> list[str]:
    """Write the rule set of ``count`` rules into directory ``out`` (one YAML file)."""
    rules, notes = rule_pool(count, seed)
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.yaml"):
        old.unlink()
    header = f"# Generated by bench/generate.py (seed {seed}): {len(rules)} rules. Do not edit.\n"
    body = yaml.safe_dump({"version": 1, "rules": rules}, sort_keys=False, allow_unicode=True, width=120)
    (out / "rules.yaml").write_text(header + body, encoding="utf-8")
    return notes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="what", required=True)
    inv = sub.add_parser("inventory", help="write a synthetic inventory as JSON")
    inv.add_argument("--accounts", type=int, required=True)
    inv.add_argument("--seed", type=int, default=1)
    inv.add_argument("--out", type=Path, required=True)
    rules = sub.add_parser("rules", help="write a rule set directory")
    rules.add_argument("--count", type=int, required=True)
    rules.add_argument("--seed", type=int, default=1)
    rules.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    if args.what == "inventory":
        data = generate_inventory(args.accounts, args.seed)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        tmp = args.out.with_suffix(".tmp")
        tmp.write_text(dumps_inventory(data), encoding="utf-8")
        tmp.replace(args.out)
        sizes = ", ".join(f"{k} {len(v)}" for k, v in data.items() if isinstance(v, list))
        print(f"wrote {args.out}: {sizes}", file=sys.stderr)
    else:
        for note in write_rules(args.count, args.seed, args.out):
            print(f"note: {note}", file=sys.stderr)
        print(f"wrote {args.out}/rules.yaml: {args.count} rules", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
