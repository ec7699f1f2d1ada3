"""Digest bodies: plain text and HTML for email, mrkdwn blocks for Slack, JSON for webhooks. Pure.

What a digest says is decided once (``sections`` and ``item_block``: every sentence, number and
link); ``render_text``, ``render_html`` and ``render_slack`` only dress it in their markup, so
the text and HTML email cannot say different things."""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape
from typing import Any

from pydantic import BaseModel

from kb.alerts.digest import Digest, DigestItem, SecretItem
from kb.alerts.successor_question import SuccessorQuestion

SLACK_MAX_ITEMS = 20  # Slack allows 50 blocks per message; keep a digest well under it


class Rendered(BaseModel):
    subject: str
    text: str
    html: str
    slack: dict[str, Any]
    json_payload: dict[str, Any]


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def subject_for(digest: Digest) -> str:
    parts = [f"{_plural(len(digest.all_items), 'document')} to review"]
    if digest.escalations:
        parts.append(f"{len(digest.escalations)} escalated")
    if digest.secrets:
        parts.append(_plural(len(digest.secrets), "secret") + " found")
    if digest.successors:
        parts.append(_plural(len(digest.successors), "possible replacement") + " to confirm")
        if not digest.all_items:
            parts.pop(0)
    return "FreshKB: " + ", ".join(parts)


def status_text(item: DigestItem) -> str:
    if item.status == "overdue":
        return f"overdue by {_plural(item.overdue_days, 'day')}" if item.overdue_days else "overdue"
    return f"due in {_plural(item.due_in_days or 0, 'day')}"


def _reviewer_text(item: DigestItem) -> str:
    if not item.last_reviewer:
        return "no recorded reviewer"
    when = f" on {item.last_reviewer_at:%Y-%m-%d}" if item.last_reviewer_at else ""
    return f"last reviewed/edited by {item.last_reviewer}{when}"


@dataclass(frozen=True)
class ItemBlock:
    """What the digest says about one item, before any markup: the one template of an item that
    the text, HTML and Slack formatters only dress."""

    title: str
    url: str | None
    status: str
    breadcrumb: str
    notes: list[str]  # usage and reviewer, owner, why escalated
    action: str  # the review call to action (a link's text when ``action_url`` is set)
    action_url: str | None
    more_actions: tuple[tuple[str, str], ...] = ()  # further (text, url) links after the action


@dataclass(frozen=True)
class Section:
    intro: str
    items: list[ItemBlock] = field(default_factory=list)  # numbered
    bullets: list[str] = field(default_factory=list)


def item_block(item: DigestItem, window: int) -> ItemBlock:
    notes = [f"used {_plural(item.usage, 'time')} in the last {window} days; {_reviewer_text(item)}"]
    if item.owner and item.escalation:
        notes.append(f"owner: {item.owner}")
    if item.escalation:
        notes.append(f"escalated because: {item.escalation}")
    if item.review_url:
        action = "Still accurate? Confirm in one click"
    else:
        action = f"Still accurate? Run: kb review {item.doc_id} --as <you>"
    return ItemBlock(item.title, item.url, status_text(item), item.breadcrumb, notes, action, item.review_url)


QUESTIONS_INTRO = "Is your page replaced by a newer one? FreshKB guessed so; your answer is used from now on:"


def question_block(q: SuccessorQuestion) -> ItemBlock:
    """'Is X replaced by Y?' with the reason and the *replaced* / *not replaced* links."""
    notes = [f"why: {q.reason}"]
    if q.successor_url:
        notes.append(f"newer page: {q.successor_url}")
    title = f"Is '{q.title}' replaced by '{q.successor_title}'?"
    if q.replaced_url and q.not_replaced_url:
        more = (("Not replaced", q.not_replaced_url),)
        return ItemBlock(
            title, q.url, "possible replacement", q.breadcrumb, notes, "Replaced", q.replaced_url, more
        )
    action = f"Answer: kb successors decide {q.doc_id} {q.successor_id} --replaced|--not-replaced --as <you>"
    return ItemBlock(title, q.url, "possible replacement", q.breadcrumb, notes, action, None)


def sections(digest: Digest) -> list[Section]:
    """The digest's body in order, after the greeting and before the signature."""
    window = digest.usage_window_days
    out = []
    if digest.items:
        out.append(
            Section(
                f"These documents you own need a review. Most used in the last {window} days first, "
                "then most overdue.",
                items=[item_block(i, window) for i in digest.items],
            )
        )
    if digest.escalations:
        out.append(
            Section(
                "Escalated to you as fallback owner:",
                items=[item_block(i, window) for i in digest.escalations],
            )
        )
    if digest.secrets:
        out.append(
            Section(
                "Secrets found in your documents (FreshKB redacted them; remove or rotate them "
                "at the source):",
                bullets=[_secret_line(s) for s in digest.secrets],
            )
        )
    if digest.successors:
        out.append(Section(QUESTIONS_INTRO, items=[question_block(q) for q in digest.successors]))
    return out


def _secret_line(s: SecretItem) -> str:
    return f"{s.title} (line {s.line}): {s.kind} {s.preview}"


def _item_text(n: int, b: ItemBlock) -> list[str]:
    lines = [f"{n}. {b.title} [{b.status}]", f"   {b.breadcrumb}"]
    if b.url:
        lines.append(f"   {b.url}")
    lines += [f"   {note}" for note in b.notes]
    lines.append(f"   {b.action}: {b.action_url}" if b.action_url else f"   {b.action}")
    lines += [f"   {text}: {url}" for text, url in b.more_actions]
    return lines


def render_text(digest: Digest) -> str:
    out = [f"Hello {digest.recipient_name or digest.recipient},", ""]
    for section in sections(digest):
        if section.items:
            out += [section.intro, ""]
            for n, block in enumerate(section.items, 1):
                out += [*_item_text(n, block), ""]
        else:
            out += [section.intro, *(f"- {b}" for b in section.bullets), ""]
    out.append("-- FreshKB")
    return "\n".join(out) + "\n"


def _link_html(text: str, url: str | None) -> str:
    return f'<a href="{escape(url)}">{escape(text)}</a>' if url else escape(text)


def _item_html(b: ItemBlock) -> str:
    parts = [
        f"<strong>{_link_html(b.title, b.url)}</strong> &mdash; {escape(b.status)}",
        f'<span style="color:#555">{escape(b.breadcrumb)}</span>',
        *(escape(note) for note in b.notes),
        " &middot; ".join(_link_html(t, u) for t, u in ((b.action, b.action_url), *b.more_actions)),
    ]
    return "<li>" + "<br>".join(parts) + "</li>"


def render_html(digest: Digest) -> str:
    body = [f"<p>Hello {escape(digest.recipient_name or digest.recipient)},</p>"]
    for section in sections(digest):
        body.append(f"<p>{escape(section.intro)}</p>")
        if section.items:
            body.append("<ol>" + "".join(_item_html(b) for b in section.items) + "</ol>")
        else:
            body.append("<ul>" + "".join(f"<li>{escape(b)}</li>" for b in section.bullets) + "</ul>")
    body.append("<p>&mdash; FreshKB</p>")
    return '<!doctype html><html><body style="font-family:sans-serif">' + "\n".join(body) + "</body></html>\n"


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _slack_item(b: ItemBlock) -> str:
    title = _slack_escape(b.title)
    if b.url:
        title = f"<{b.url}|{title}>"
    lines = [f"*{title}* — {b.status}", _slack_escape(b.breadcrumb), *(_slack_escape(n) for n in b.notes)]
    lines.append(f"<{b.action_url}|{_slack_escape(b.action)}>" if b.action_url else _slack_escape(b.action))
    lines += [f"<{url}|{_slack_escape(text)}>" for text, url in b.more_actions]
    return "\n".join(lines)


def render_slack(digest: Digest) -> dict[str, Any]:
    window = digest.usage_window_days
    blocks: list[dict[str, Any]] = [
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": f"*{_slack_escape(subject_for(digest))}* for {_slack_escape(digest.recipient)}",
            },
        }
    ]
    items = digest.all_items
    for item in items[:SLACK_MAX_ITEMS]:
        block = _slack_item(item_block(item, window))
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": block}})
    if len(items) > SLACK_MAX_ITEMS:
        blocks.append(
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": f"…and {len(items) - SLACK_MAX_ITEMS} more"}],
            }
        )
    if digest.secrets:
        text = "*Secrets found* (redacted in FreshKB; remove them at the source):\n" + "\n".join(
            "- " + _slack_escape(_secret_line(s)) for s in digest.secrets[:SLACK_MAX_ITEMS]
        )
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text}})
    for q in digest.successors[:SLACK_MAX_ITEMS]:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _slack_item(question_block(q))}})
    return {"text": subject_for(digest), "blocks": blocks}


def render(digest: Digest) -> Rendered:
    return Rendered(
        subject=subject_for(digest),
        text=render_text(digest),
        html=render_html(digest),
        slack=render_slack(digest),
        json_payload=digest.model_dump(mode="json"),
    )
