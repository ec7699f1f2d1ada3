"""Who someone is: the one email normalisation, the one way to build a ``Principal``, and the
people table (display names as exports show them to email addresses, and who has left).

Every comparison of an email, user id or group name goes through ``normalize_email``; every
principal (a static token, an OIDC token, ``kb search --as``, an eval question's ``user``) is
built by ``build_principal``, so the CLI and the evals search as exactly the principal the API
would build for that user's token.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from kb.config import AuthSettings, Person
from kb.errors import ConfigError
from kb.records import Principal


def normalize_email(value: str) -> str:
    """The form FreshKB stores and compares emails, user ids and group names in: trimmed and
    lower-cased (``" Alice.Chen@ACME.com "`` -> ``"alice.chen@acme.com"``)."""
    return value.strip().lower()


def same_email(a: str | None, b: str | None) -> bool:
    """True when both are given and name the same address."""
    return a is not None and b is not None and normalize_email(a) == normalize_email(b)


def build_principal(
    user: str, groups: Iterable[str], *, admin: bool, admin_groups: Iterable[str]
) -> Principal:
    """The principal for ``user`` in ``groups``: an admin when ``admin`` is set or one of its
    groups is in ``auth.admin_groups``."""
    normalized = frozenset(normalize_email(g) for g in groups if g.strip())
    is_admin = admin or bool(normalized & {normalize_email(g) for g in admin_groups})
    return Principal(user=normalize_email(user), groups=normalized, admin=is_admin)


def principal_for_user(user: str, auth: AuthSettings) -> Principal:
    """The principal the API builds for ``user``'s static token (``[[auth.tokens]]``), or a user
    with no groups when no token names them. Entries for the same user that disagree on groups
    or admin are a ``ConfigError``: which one applies would depend on the token presented."""
    entries = [t for t in auth.tokens if same_email(t.user, user)]
    if not entries:
        return build_principal(user, (), admin=False, admin_groups=auth.admin_groups)
    built = {
        build_principal(t.user, t.groups, admin=t.admin, admin_groups=auth.admin_groups) for t in entries
    }
    if len(built) > 1:
        raise ConfigError(
            f"{len(entries)} [[auth.tokens]] entries for this user differ in groups or admin; "
            "the principal would depend on the token",
            subject=normalize_email(user),
        )
    return built.pop()


def _key(name: str) -> str:
    return " ".join(unicodedata.normalize("NFC", name).casefold().split())


class People:
    def __init__(self, people: list[Person]) -> None:
        self._by_name: dict[str, Person] = {}
        self._by_email: dict[str, Person] = {}
        for p in people:
            self._by_email[normalize_email(p.email)] = p
            for n in (p.name, *p.aliases):
                self._by_name[_key(n)] = p

    def email_for(self, name_or_email: str) -> str | None:
        """The email for a display name or email; None when unknown."""
        value = name_or_email.strip()
        if "@" in value:
            return normalize_email(value)
        person = self._by_name.get(_key(value))
        return normalize_email(person.email) if person else None

    def resolve(self, name_or_email: str) -> str:
        """Email where resolvable, else the name as exported."""
        return self.email_for(name_or_email) or name_or_email.strip()

    def is_known(self, owner: str) -> bool:
        return normalize_email(owner) in self._by_email

    def is_active(self, owner: str) -> bool:
        """True for a known, active person. Unknown owners (teams, lists) are not people."""
        p = self._by_email.get(normalize_email(owner))
        return bool(p and p.active)

    def name_of(self, email: str) -> str | None:
        p = self._by_email.get(normalize_email(email))
        return p.name if p else None
