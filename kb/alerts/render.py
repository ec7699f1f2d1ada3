"""Digest bodies: plain text and HTML for email, mrkdwn blocks for Slack, JSON for webhooks. Pure."""

from __future__ import annotations

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
    if not digest.all_items and digest.successors:
        parts = parts[1:]
    return "FreshKB: " + ", ".join(parts)


def status_text(item: DigestItem) -> str:
    if item.status == "overdue":
        return f"overdue by {_plural(item.overdue_days, 'day')}" if item.overdue_days else "overdue"
    return f"due in {_plural(item.due_in_days or 0, 'day')}"


def _reviewer_text(item: DigestItem) -> str:
    if not item.last_reviewer:
        return "no recorded reviewer"
    when = f" on {item.last_reviewed_at:%Y-%m-%d}" if item.last_reviewed_at else ""
    return f"last reviewed/edited by {item.last_reviewer}{when}"


def _item_lines(n: int, item: DigestItem, window: int) -> list[str]:
    lines = [f"{n}. {item.title} [{status_text(item)}]", f"   {item.path}"]
    if item.url:
        lines.append(f"   {item.url}")
    lines.append(f"   used {_plural(item.usage, 'time')} in the last {window} days; {_reviewer_text(item)}")
    if item.owner and item.escalation:
        lines.append(f"   owner: {item.owner}")
    if item.escalation:
        lines.append(f"   escalated because: {item.escalation}")
    if item.review_url:
        lines.append(f"   Still accurate? Confirm in one click: {item.review_url}")
    else:
        lines.append(f"   Still accurate? Run: kb review {item.doc_id} --as <you>")
    return lines


QUESTIONS_INTRO = "Is your page replaced by a newer one? FreshKB guessed it; your answer is used from now on:"


def _question_text(q: SuccessorQuestion) -> str:
    return f"Is '{q.title}' replaced by '{q.successor_title}'?"


def _question_lines(n: int, q: SuccessorQuestion) -> list[str]:
    lines = [f"{n}. {_question_text(q)}", f"   why: {q.reason}"]
    lines += [f"   {u}" for u in (q.url, q.successor_url) if u]
    if q.replaced_url and q.not_replaced_url:
        lines.append(f"   Replaced: {q.replaced_url}")
        lines.append(f"   Not replaced: {q.not_replaced_url}")
    else:
        lines.append(
            f"   Answer: kb successors decide {q.doc_id} {q.successor_id} "
            "--replaced|--not-replaced --as <you>"
        )
    return lines


def _secret_line(s: SecretItem) -> str:
    return f"- {s.title} (line {s.line}): {s.kind} {s.preview}"


def render_text(digest: Digest) -> str:
    hello = digest.recipient_name or digest.recipient
    out = [f"Hello {hello},", ""]
    order = f"Most used in the last {digest.usage_window_days} days first, then most overdue."
    if digest.items:
        out += ["These documents you own need a review. " + order, ""]
        for n, item in enumerate(digest.items, 1):
            out += [*_item_lines(n, item, digest.usage_window_days), ""]
    if digest.escalations:
        out += ["Escalated to you as fallback owner:", ""]
        for n, item in enumerate(digest.escalations, 1):
            out += [*_item_lines(n, item, digest.usage_window_days), ""]
    if digest.secrets:
        out += [
            "Secrets found in your documents (FreshKB redacted them; remove or rotate them at the source):"
        ]
        out += [_secret_line(s) for s in digest.secrets]
        out.append("")
    if digest.successors:
        out += [QUESTIONS_INTRO, ""]
        for n, q in enumerate(digest.successors, 1):
            out += [*_question_lines(n, q), ""]
    out.append("-- FreshKB")
    return "\n".join(out) + "\n"


def _item_html(item: DigestItem, window: int) -> str:
    title = escape(item.title)
    if item.url:
        title = f'<a href="{escape(item.url)}">{title}</a>'
    parts = [
        f"<strong>{title}</strong> &mdash; {escape(status_text(item))}",
        f'<br><span style="color:#555">{escape(item.path)}</span>',
        f"<br>used {escape(_plural(item.usage, 'time'))} in the last {window} days; "
        f"{escape(_reviewer_text(item))}",
    ]
    if item.owner and item.escalation:
        parts.append(f"<br>owner: {escape(item.owner)}")
    if item.escalation:
        parts.append(f"<br>escalated because: {escape(item.escalation)}")
    if item.review_url:
        parts.append(f'<br><a href="{escape(item.review_url)}">Still accurate? Confirm</a>')
    return "<li>" + "".join(parts) + "</li>"


def _question_html(q: SuccessorQuestion) -> str:
    def title(text: str, url: str | None) -> str:
        return f'<a href="{escape(url)}">{escape(text)}</a>' if url else escape(text)

    parts = [
        f"Is <strong>{title(q.title, q.url)}</strong> replaced by "
        f"<strong>{title(q.successor_title, q.successor_url)}</strong>?",
        f'<br><span style="color:#555">{escape(q.reason)}</span>',
    ]
    if q.replaced_url and q.not_replaced_url:
        parts.append(
            f'<br><a href="{escape(q.replaced_url)}">Replaced</a> &middot; '
            f'<a href="{escape(q.not_replaced_url)}">Not replaced</a>'
        )
    return "<li>" + "".join(parts) + "</li>"


def render_html(digest: Digest) -> str:
    window = digest.usage_window_days
    body = [f"<p>Hello {escape(digest.recipient_name or digest.recipient)},</p>"]
    if digest.items:
        body.append(
            f"<p>These documents you own need a review. Most used in the last {window} "
            "days first, then most overdue.</p>"
        )
        body.append("<ol>" + "".join(_item_html(i, window) for i in digest.items) + "</ol>")
    if digest.escalations:
        body.append("<p>Escalated to you as fallback owner:</p>")
        body.append("<ol>" + "".join(_item_html(i, window) for i in digest.escalations) + "</ol>")
    if digest.secrets:
        body.append(
            "<p>Secrets found in your documents (FreshKB redacted them; remove or rotate "
            "them at the source):</p>"
        )
        body.append(
            "<ul>" + "".join(f"<li>{escape(_secret_line(s)[2:])}</li>" for s in digest.secrets) + "</ul>"
        )
    if digest.successors:
        body.append(f"<p>{escape(QUESTIONS_INTRO)}</p>")
        body.append("<ol>" + "".join(_question_html(q) for q in digest.successors) + "</ol>")
    body.append("<p>&mdash; FreshKB</p>")
    return '<!doctype html><html><body style="font-family:sans-serif">' + "\n".join(body) + "</body></html>\n"


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _slack_item(item: DigestItem, window: int) -> str:
    title = _slack_escape(item.title)
    if item.url:
        title = f"<{item.url}|{title}>"
    lines = [
        f"*{title}* — {status_text(item)}",
        _slack_escape(item.path),
        f"used {_plural(item.usage, 'time')} in the last {window} days; "
        f"{_slack_escape(_reviewer_text(item))}",
    ]
    if item.escalation:
        lines.append(f"escalated because: {_slack_escape(item.escalation)}")
    if item.review_url:
        lines.append(f"<{item.review_url}|Still accurate? Confirm>")
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
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _slack_item(item, window)}})
    if len(items) > SLACK_MAX_ITEMS:
        blocks.append(
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": f"…and {len(items) - SLACK_MAX_ITEMS} more"}],
            }
        )
    if digest.secrets:
        text = "*Secrets found* (redacted in FreshKB; remove them at the source):\n" + "\n".join(
            _slack_escape(_secret_line(s)) for s in digest.secrets[:SLACK_MAX_ITEMS]
        )
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text}})
    for q in digest.successors[:SLACK_MAX_ITEMS]:
        lines = [f"*{_slack_escape(_question_text(q))}*", _slack_escape(q.reason)]
        if q.replaced_url and q.not_replaced_url:
            lines.append(f"<{q.replaced_url}|Replaced> · <{q.not_replaced_url}|Not replaced>")
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)}})
    return {"text": subject_for(digest), "blocks": blocks}


def render(digest: Digest) -> Rendered:
    return Rendered(
        subject=subject_for(digest),
        text=render_text(digest),
        html=render_html(digest),
        slack=render_slack(digest),
        json_payload=digest.model_dump(mode="json"),
    )
