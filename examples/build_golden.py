"""Write evals/golden/example.jsonl: the golden questions over the example data, labelled by title.

Labels in the JSONL are document ids; here they are written as titles and resolved through the
same id scheme the generator uses (Notion: ``acme_common.notion_id``; Drive: the manifest), so a
renamed document is a one-line change. Run after ``build_examples.py``:
``python examples/build_golden.py``. Every question names its ``user`` (see examples/README.md
for who can read what); ``relevant`` lists only documents that user may read.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from acme_common import notion_id  # noqa: E402

FOLDER = "application/vnd.google-apps.folder"
UPLOADED = ("application/pdf", "text/markdown")  # names carry their extension


def drive_ids() -> dict[str, str]:
    ids = {}
    for line in (HERE / "drive" / "manifest.jsonl").read_text(encoding="utf-8").splitlines():
        e = json.loads(line)
        if e["mimeType"] != FOLDER:
            name = e["name"].rsplit(".", 1)[0] if e["mimeType"] in UPLOADED else e["name"]
            ids[name] = e["id"]
    return ids


DRIVE = drive_ids()


def n(title: str) -> str:
    return "notion:" + notion_id(title)


def d(name: str) -> str:
    return "gdrive:" + DRIVE[name]


SPEC, FAQ, MIG = n("Billing Spec (2021)"), n("Billing FAQ"), d("Billing Migration Q4 2026")
V1, V2 = n("Deploy Process v1"), n("Deploy Process v2")
CB1, CB2 = d("Chargeback Handling Process v1"), d("Chargeback Handling Process v2")
CHK_N, CHK_D = n("New Engineer Onboarding Checklist"), d("New Engineer Onboarding Checklist")
A, S, H = "alice.chen@acme.com", "sam.okafor@acme.com", "hana.sato@acme.com"

Q: list[dict[str, object]] = []


def q(
    qid: str,
    question: str,
    relevant: dict[str, int],
    slice_: str,
    user: str = A,
    stale: list[str] | None = None,
    must: list[str] | None = None,
    must_not: list[str] | None = None,
) -> None:
    row: dict[str, object] = {"qid": qid, "question": question, "relevant": relevant}
    if stale:
        row["stale"] = stale
    if must:
        row["must_contain"] = must
    if must_not:
        row["must_not_contain"] = must_not
    row["slice"] = slice_
    row["user"] = user
    Q.append(row)


# THE TRAP: the 2021 spec (status Active, last reviewed 2021) vs. the Q4 2026 migration doc.
q(
    "billing-1",
    "How are invoices generated now?",
    {MIG: 3, FAQ: 2},
    "billing",
    stale=[SPEC],
    must=["Stripe"],
    must_not=["invoicer.pl"],
)
q(
    "billing-2",
    "What are the payment terms on our invoices?",
    {FAQ: 3, MIG: 3},
    "billing",
    stale=[SPEC],
    must=["net-15"],
    must_not=["net-30"],
)
q(
    "billing-3",
    "Is the Perl invoicer cron on billing-01 still running?",
    {MIG: 3, n("Billing"): 1},
    "billing",
    stale=[SPEC],
)
q(
    "billing-4",
    "How are invoice PDFs delivered to customers?",
    {MIG: 3, FAQ: 3},
    "billing",
    stale=[SPEC],
    must_not=["Mailgun"],
)
q(
    "billing-5",
    "How often is usage metered for billing?",
    {MIG: 3, FAQ: 2, n("Billing"): 1},
    "billing",
    stale=[SPEC],
    must=["hourly"],
)
q(
    "billing-6",
    "How do I correct a finalized invoice?",
    {FAQ: 3, d("Invoice Numbering and Credit Notes"): 3, n("Refunds Runbook"): 1},
    "billing",
    stale=[SPEC],
    must=["credit note"],
)
q(
    "billing-7",
    "What happens when a customer's payment fails?",
    {n("Dunning and Failed Payments"): 3, n("Stripe Webhook Handling"): 1},
    "billing",
    must=["21 days"],
)
q(
    "billing-8",
    "Do EU business customers with a VAT ID pay VAT?",
    {n("Sales Tax and VAT"): 3},
    "billing",
    must=["reverse charge"],
)
q(
    "billing-9",
    "When do customers get invoiced each month?",
    {FAQ: 3, MIG: 3},
    "billing",
    stale=[SPEC],
    must=["anniversary"],
)

# Superseded pairs (Notion relation, Drive appProperties) and text-deprecated pages.
q(
    "deploy-1",
    "How do I deploy a service to production?",
    {V2: 3},
    "superseded",
    stale=[V1],
    must=["acmectl deploy"],
    must_not=["deploy-prod"],
)
q("deploy-2", "Are there deploy windows for production deploys?", {V2: 3}, "superseded", stale=[V1])
q(
    "deploy-3",
    "How do I roll back a bad production deploy?",
    {V2: 3},
    "superseded",
    stale=[V1],
    must=["acmectl rollback"],
)
q(
    "deploy-4",
    "Who needs to approve a production deploy?",
    {V2: 3, n("Code Review Guidelines"): 1},
    "superseded",
    stale=[V1],
)
q(
    "deploy-5",
    "How are database migrations run during a deploy?",
    {V2: 3},
    "superseded",
    stale=[V1],
    must=["PreSync"],
)
q(
    "chargeback-1",
    "How do we handle a chargeback?",
    {CB2: 3, n("Stripe Webhook Handling"): 1},
    "superseded",
    stale=[CB1],
    must=["dispute"],
)
q(
    "chargeback-2",
    "How many days do we have to submit chargeback evidence?",
    {CB2: 3},
    "superseded",
    stale=[CB1],
    must=["5 days"],
)
q(
    "vpn-1",
    "How do I get network access to staging from my laptop?",
    {n("Local Development Environment"): 3, CHK_N: 2},
    "superseded",
    stale=[n("VPN Setup (Legacy)")],
    must=["Tailscale"],
)

# Evergreen reference pages (fresh).
q(
    "ever-1",
    "What is Acme's primary database?",
    {n("Architecture Overview"): 3, n("Postgres Failover"): 1, d("Postgres Backup and Restore"): 1},
    "evergreen",
    must=["PostgreSQL"],
)
q(
    "ever-2",
    "What does MRR mean?",
    {d("Metrics Definitions"): 3, n("Engineering Glossary"): 2},
    "evergreen",
    must=["revenue"],
)
q(
    "ever-3",
    "What is the error budget of the public API?",
    {n("Engineering Glossary"): 3, n("Metrics and Alerting"): 2},
    "evergreen",
    must=["30 days"],
)
q(
    "ever-4",
    "Which team owns payments-api?",
    {n("Service Catalog"): 3, n("Team Directory"): 2, n("Architecture Overview"): 1},
    "evergreen",
    must=["Payments"],
)
q(
    "ever-5",
    "Which message broker carries domain events between services?",
    {n("Architecture Overview"): 3},
    "evergreen",
    must=["Kafka"],
)
q(
    "ever-6",
    "What does net-15 mean?",
    {n("Engineering Glossary"): 3, FAQ: 1, MIG: 1},
    "evergreen",
    must=["15 days"],
)
q(
    "ever-7",
    "What is the API rate limit per API key?",
    {n("Architecture Overview"): 3},
    "evergreen",
    must=["600"],
)
q("ever-8", "What is a tenant?", {n("Engineering Glossary"): 3}, "evergreen", must=["tenant_id"])

# Only an old, overdue document answers these.
q(
    "old-1",
    "How do we renew the legacy LDAP TLS certificate?",
    {n("Legacy LDAP TLS Certificate Renewal"): 3},
    "only-old",
    must=["ldap-01"],
)
q(
    "old-2",
    "Which port does LDAPS listen on for the corporate directory?",
    {n("Legacy LDAP TLS Certificate Renewal"): 3},
    "only-old",
    must=["636"],
)
q(
    "old-3",
    "How do I manually fail over the orders database?",
    {n("Postgres Failover"): 3, d("Disaster Recovery Plan"): 1},
    "only-old",
    must=["force-failover"],
)
q(
    "old-4",
    "What naming convention do analytics events use?",
    {d("Analytics Event Tracking Plan"): 3},
    "only-old",
    must=["snake case"],
)
q(
    "old-5",
    "How do I delete Redis keys for one tenant?",
    {d("Redis Cache Operations"): 3},
    "only-old",
    must=["delete-pattern"],
)
q(
    "old-6",
    "How do I create a feature flag in LaunchDarkly?",
    {n("Feature Flags with LaunchDarkly"): 3},
    "only-old",
)

# Restricted documents, asked by a reader (allowed) and a non-reader (denied).
SEC_ROT, DBCRED = n("Secrets Rotation Procedure"), n("Database Credentials Rotation")
q(
    "restricted-1",
    "How do I rotate the database credentials?",
    {SEC_ROT: 3, DBCRED: 3},
    "restricted-allowed",
    user=S,
    must=["vault"],
)
q(
    "restricted-2",
    "How do I rotate the database credentials?",
    {DBCRED: 3},
    "restricted-denied",
    must=["vault"],
    must_not=["pg_user"],
)
PT_N, PT_D = n("Pentest Findings 2026"), d("Pentest Report 2026 - Executive Summary")
q(
    "restricted-3",
    "What were the high findings of the 2026 penetration test?",
    {PT_N: 3, PT_D: 3},
    "restricted-allowed",
    user=S,
)
q(
    "restricted-4",
    "What were the high findings of the 2026 penetration test?",
    {},
    "restricted-denied",
    must_not=["Bastion Labs", "IDOR", "SSRF"],
)
IR = n("Incident Response Runbook")
q(
    "restricted-5",
    "What do I do in the first hour of a security incident?",
    {IR: 3, d("Security Incident Severity Matrix"): 1, d("Security Awareness Training FAQ"): 1},
    "restricted-allowed",
    user=S,
)
q(
    "restricted-6",
    "What do I do in the first hour of a security incident?",
    {d("Security Awareness Training FAQ"): 2, d("Incident Communication Runbook"): 1},
    "restricted-denied",
    must_not=["sg-quarantine"],
)
q(
    "restricted-7",
    "What counts as a SEV1 security incident?",
    {d("Security Incident Severity Matrix"): 3, IR: 2},
    "restricted-allowed",
    user=S,
    must=["customer data"],
)
q(
    "restricted-8",
    "What counts as a SEV1 security incident?",
    {},
    "restricted-denied",
    must_not=["unauthorized party"],
)
BANDS = n("Compensation Bands 2026")
q(
    "restricted-9",
    "What is the salary band for a Senior Software Engineer?",
    {BANDS: 3},
    "restricted-allowed",
    user=H,
)
q(
    "restricted-10",
    "What is the salary band for a Senior Software Engineer?",
    {},
    "restricted-denied",
    must_not=["175,000", "215,000"],
)
HB = d("Employee Handbook 2026")
q(
    "restricted-11",
    "How many weeks of parental leave do we get?",
    {HB: 3, n("Parental Leave Policy (Draft)"): 2},
    "restricted-allowed",
    user=H,
    must=["16 weeks"],
)
q(
    "restricted-12",
    "How many weeks of parental leave do we get?",
    {HB: 3},
    "restricted-denied",
    must=["16 weeks"],
    must_not=["20 weeks"],
)
q(
    "restricted-13",
    "What is the merit increase budget for 2026?",
    {d("Compensation Review Process 2026"): 3, BANDS: 1},
    "restricted-allowed",
    user=H,
    must=["4%"],
)
q(
    "restricted-14",
    "What is the merit increase budget for 2026?",
    {},
    "restricted-denied",
    must_not=["merit increase budget"],
)
DR = d("Disaster Recovery Plan")
q(
    "restricted-15",
    "What is the recovery time objective for a full region loss?",
    {DR: 3},
    "restricted-allowed",
    must=["4 hours"],
)
q(
    "restricted-16",
    "What is the recovery time objective for a full region loss?",
    {},
    "restricted-denied",
    user=H,
    must_not=["4 hours"],
)

# Near-duplicates: the Notion checklist is current, the Drive copy is older.
q(
    "dup-1",
    "What should a new engineer do on their first day?",
    {CHK_N: 3, n("Onboarding"): 1},
    "duplicate",
    stale=[CHK_D],
    must=["Okta"],
    must_not=["LastPass"],
)
q(
    "dup-2",
    "Which password manager do new engineers install?",
    {CHK_N: 3},
    "duplicate",
    stale=[CHK_D],
    must=["1Password"],
    must_not=["LastPass"],
)
q(
    "dup-3",
    "When does a new engineer join the on-call rotation?",
    {CHK_N: 3, n("On-call Handbook"): 2},
    "duplicate",
    stale=[CHK_D],
    must=["three months"],
)

# General questions with one clear answer.
q(
    "gen-1",
    "Which port does Postgres use in the local development environment?",
    {n("Local Development Environment"): 3},
    "general",
    must=["5433"],
)
q(
    "gen-2",
    "How many approvals does a pull request to billing-service need?",
    {n("Code Review Guidelines"): 3, V2: 1},
    "general",
    must=["two approvals"],
)
q(
    "gen-3",
    "How long does a card refund take to show up on the statement?",
    {n("Refunds Runbook"): 3},
    "general",
    must=["10 business days"],
)
q("gen-4", "How much is the on-call stipend?", {n("On-call Handbook"): 3}, "general", must=["$400"])
q(
    "gen-5",
    "When does the nightly dbt run happen?",
    {n("Data Warehouse Guide"): 3, d("Data Platform Overview"): 2, d("Metrics Definitions"): 1},
    "general",
    must=["02:00 UTC"],
)
q(
    "gen-6",
    "How long are database backups kept?",
    {d("Postgres Backup and Restore"): 3, n("Data Retention Policy"): 3},
    "general",
    must=["35 days"],
)
q(
    "gen-7",
    "How do I upgrade the EKS cluster to a new Kubernetes version?",
    {n("Kubernetes Cluster Upgrade"): 3},
    "general",
    must=["eksctl"],
)
q(
    "gen-8",
    "How do I replay a Stripe webhook event?",
    {n("Stripe Webhook Handling"): 3},
    "general",
    must=["resend"],
)
q(
    "gen-9",
    "Which payment methods do we accept?",
    {d("Payment Methods Supported"): 3},
    "general",
    must=["Visa"],
)
q(
    "gen-10",
    "How often do we update the status page during a SEV1?",
    {d("Incident Communication Runbook"): 3},
    "general",
    must=["30 minutes"],
)
q(
    "gen-11",
    "What date is the Thanksgiving holiday in 2027?",
    {d("Holiday Calendar 2027"): 3},
    "general",
    must=["2027-11-25"],
)
q("gen-12", "How big is the home office budget?", {HB: 3}, "general", must=["$1,000"])
q("gen-13", "What are the core working hours?", {n("How We Work"): 3}, "general", must=["11:00"])
q(
    "gen-14",
    "Where are CI build caches stored?",
    {n("CI Build Runners"): 3},
    "general",
    must=["acme-ci-cache"],
)
q(
    "gen-15",
    "How do I get access to Snowflake?",
    {n("Data Warehouse Guide"): 3},
    "general",
    must=["data-help"],
)
q(
    "gen-16",
    "How long are application logs kept?",
    {n("Data Retention Policy"): 3, n("Metrics and Alerting"): 1},
    "general",
    must=["30 days"],
)
q(
    "gen-17",
    "What was the cause of the August 2023 checkout outage?",
    {n("Postmortem 2023-08 Checkout Outage"): 3},
    "general",
    must=["connection pool"],
)

# Nothing in the corpus answers these.
q("none-1", "What is the guest Wi-Fi password in the New York office?", {}, "no-answer")
q("none-2", "How do I book a meeting room in the Berlin office?", {}, "no-answer")
q("none-3", "How is the Istio service mesh configured?", {}, "no-answer")
q("none-4", "What is the policy on bringing dogs to the office?", {}, "no-answer")
q("none-5", "How do I configure push notification certificates for the iOS app?", {}, "no-answer")


def main() -> int:
    out = ROOT / "evals" / "golden" / "example.jsonl"
    out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in Q), encoding="utf-8")
    print(f"{len(Q)} questions -> {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
