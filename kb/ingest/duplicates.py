"""Near-duplicates across sources, found at ingest: the same page kept in Notion and in Drive.

Each document is a set of word 3-shingles (lower-case ``\\w+`` words, title first). datasketch's
MinHash LSH proposes candidate pairs (at a lower threshold than the verdict, so an unlucky
estimate does not lose a pair); the verdict is the *exact* Jaccard of the two shingle sets, at or
above ``duplicates.threshold``. Only pairs from different sources count: two versions of a page
inside one source are a successor question (``kb.lifecycle``), not a copy.

Why MinHash over words and not the stored embeddings (measured 2026-12-03 on the example and on
evals/corpora/gds-way, which renders the same 154 pages as a Notion and a Drive export):

- shingles, threshold 0.5: all 154 gds-way Notion/Drive pairs found (lowest 0.61, p10 0.93); every
  other cross-source pair at or above 0.5 is an earlier version of the same page (a renamed or
  deleted path); the nearest unrelated pages ("How to secure a service" / "How to operate
  services") score 0.46. The example's two onboarding checklists (the Drive copy still says
  LastPass, the Notion page 1Password) score 0.54, every other example pair at most 0.07.
- the stored embeddings (each document's mean chunk vector, cosine): the true gds-way pairs score
  0.857 and up, and at that threshold 118 other cross-source pairs come along (MinHash at 0.5:
  60), among them pages on one subject with no title in common ("Alerting" / "How to manage
  alerts" 0.87): cosine says "same topic", a copy is "same words". Vectors also exist only after
  embedding, and are not in memory for a store served from a Chroma server above
  ``retrieval.exact_max_chunks``.

Cost: 0.45 s of CPU for the 308 gds-way documents (shingling, 128 permutations, exact Jaccard of
the LSH candidates), run once per ingest over every stored document.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable
from dataclasses import dataclass

from datasketch import MinHash, MinHashLSH

from kb.config import DuplicatesSettings
from kb.store.duplicates import Pair

SHINGLE_WORDS = 3
_WORD = re.compile(r"\w+")
# LSH candidates are proposed this far below the verdict: MinHash with 128 permutations estimates
# a Jaccard with a standard error of about 0.04, so a true 0.5 pair is almost never missed.
CANDIDATE_MARGIN = 0.2


@dataclass(frozen=True)
class Text:
    """What the finder reads of a document."""

    doc_id: str
    source: str
    title: str
    text: str


def shingles(text: str, k: int = SHINGLE_WORDS) -> set[str]:
    words = _WORD.findall(text.lower())
    if len(words) <= k:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i : i + k]) for i in range(len(words) - k + 1)}


def _hash32(shingle: str) -> int:
    """CRC-32 of the shingle: cheaper than datasketch's default sha1 and, unlike Python's salted
    ``hash``, the same in every process, so the candidate pairs (and the verdicts near the
    threshold) do not change from one run to the next."""
    return zlib.crc32(shingle.encode("utf-8"))


def jaccard(a: set[str], b: set[str]) -> float:
    union = len(a | b)
    return len(a & b) / union if union else 0.0


def find_near_duplicates(docs: Iterable[Text], settings: DuplicatesSettings) -> list[Pair]:
    """Pairs of documents from different sources whose shingle Jaccard is at least the
    threshold, most similar first."""
    sets: dict[str, set[str]] = {}
    source: dict[str, str] = {}
    for d in docs:
        s = shingles(f"{d.title}\n{d.text}")
        if s:
            sets[d.doc_id] = s
            source[d.doc_id] = d.source
    if len(set(source.values())) < 2:
        return []
    lsh = MinHashLSH(threshold=max(0.05, settings.threshold - CANDIDATE_MARGIN), num_perm=settings.num_perm)
    hashes: dict[str, MinHash] = {}
    template = MinHash(num_perm=settings.num_perm, hashfunc=_hash32)
    for doc_id, s in sets.items():
        m = MinHash(
            num_perm=settings.num_perm,
            hashfunc=_hash32,
            permutations=template.permutations,
            scheme=template.scheme,
        )
        m.update_batch(list(s))
        hashes[doc_id] = m
        lsh.insert(doc_id, m)
    found: dict[tuple[str, str], float] = {}
    for doc_id, m in hashes.items():
        for other in lsh.query(m):
            if source[other] == source[doc_id] or (other, doc_id) in found or (doc_id, other) in found:
                continue
            similarity = jaccard(sets[doc_id], sets[other])
            if similarity >= settings.threshold:
                found[(doc_id, other)] = round(similarity, 4)
    pairs = [Pair.of(a, b, s) for (a, b), s in found.items()]
    return sorted(pairs, key=lambda p: (-p.similarity, p.doc_a, p.doc_b))
