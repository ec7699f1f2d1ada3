"""The people table: display names (as exports show them) to email addresses, and who has left."""

from __future__ import annotations

import unicodedata

from kb.config import Person


def _key(name: str) -> str:
    return " ".join(unicodedata.normalize("NFC", name).casefold().split())


class People:
    def __init__(self, people: list[Person]) -> None:
        self._by_name: dict[str, Person] = {}
        self._by_email: dict[str, Person] = {}
        for p in people:
            self._by_email[p.email.lower()] = p
            for n in (p.name, *p.aliases):
                self._by_name[_key(n)] = p

    def email_for(self, name_or_email: str) -> str | None:
        """The email for a display name or email; None when unknown."""
        value = name_or_email.strip()
        if "@" in value:
            return value.lower()
        person = self._by_name.get(_key(value))
        return person.email.lower() if person else None

    def resolve(self, name_or_email: str) -> str:
        """Email where resolvable, else the name as exported."""
        return self.email_for(name_or_email) or name_or_email.strip()

    def is_known(self, owner: str) -> bool:
        return owner.lower() in self._by_email

    def is_active(self, owner: str) -> bool:
        """True for a known, active person. Unknown owners (teams, lists) are not people."""
        p = self._by_email.get(owner.lower())
        return bool(p and p.active)

    def name_of(self, email: str) -> str | None:
        p = self._by_email.get(email.lower())
        return p.name if p else None
