"""Knowledge gaps: the questions that found nothing relevant or whose answer got a thumbs down,
clustered by topic, each cluster with the owner most likely to fill it.

A question "found nothing" when its ask cited no document or its search returned none (audit log,
status 200); a down vote comes from the feedback table. Questions are embedded with the search
model and clustered with scikit-learn's agglomerative clustering (average linkage over cosine
distance, cut at ``1 - report.gap_similarity``), so "how do I rotate the VPN certificate" and
"VPN cert rotation" land in one gap without fixing the number of clusters in advance.

The likely owner of a cluster is the most frequent owner among the documents its questions got
(cited, returned or voted on); when they got none, among the documents a search for the cluster's
questions finds now (``search_owners``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Literal

import numpy as np
from pydantic import BaseModel, Field

Why = Literal["nothing found", "negative feedback"]


class GapQuestion(BaseModel):
    at: datetime
    question: str
    why: Why
    comment: str = ""
    doc_ids: list[str] = Field(default_factory=list, description="documents it got (cited, returned)")


class GapCluster(BaseModel):
    topic: str = Field(description="the question closest to the cluster's centre")
    questions: list[GapQuestion]
    count: int
    nothing_found: int
    negative_feedback: int
    likely_owner: str | None
    owner_basis: str = Field(description="what the likely owner was read from")


def cluster(vectors: np.ndarray, similarity: float) -> list[list[int]]:
    """Groups of row indices whose average pairwise cosine is at least ``similarity``."""
    n = len(vectors)
    if n == 0:
        return []
    if n == 1:
        return [[0]]
    from sklearn.cluster import AgglomerativeClustering  # (scikit-learn loads in ~1 s)

    labels = AgglomerativeClustering(
        n_clusters=None, metric="cosine", linkage="average", distance_threshold=1.0 - similarity
    ).fit_predict(vectors)
    groups: dict[int, list[int]] = {}
    for i, label in enumerate(labels):
        groups.setdefault(int(label), []).append(i)
    return sorted(groups.values(), key=lambda g: (-len(g), g[0]))


def gap_clusters(
    questions: Sequence[GapQuestion],
    embed: Callable[[list[str]], list[list[float]]],
    similarity: float,
    owners: Mapping[str, str | None],
    search_owners: Callable[[str], list[str]],
) -> list[GapCluster]:
    """Clusters of ``questions``, largest first. ``owners``: doc id -> owner of every document
    the reader of the report may see; ``search_owners(question)``: owners of what a search finds."""
    if not questions:
        return []
    raw = np.asarray(embed([q.question for q in questions]), dtype=np.float64)
    norms = np.linalg.norm(raw, axis=1, keepdims=True)
    vectors = raw / np.where(norms == 0, 1, norms)
    out = []
    for group in cluster(vectors, similarity):
        members = [questions[i] for i in group]
        centre = vectors[group].mean(axis=0)
        topic = members[int(np.argmax(vectors[group] @ centre))].question
        owner, basis = _likely_owner(members, owners, search_owners)
        out.append(
            GapCluster(
                topic=topic,
                questions=sorted(members, key=lambda q: q.at, reverse=True),
                count=len(members),
                nothing_found=sum(q.why == "nothing found" for q in members),
                negative_feedback=sum(q.why == "negative feedback" for q in members),
                likely_owner=owner,
                owner_basis=basis,
            )
        )
    return out


def _likely_owner(
    members: Iterable[GapQuestion],
    owners: Mapping[str, str | None],
    search_owners: Callable[[str], list[str]],
) -> tuple[str | None, str]:
    members = list(members)
    got = Counter(o for q in members for d in q.doc_ids if (o := owners.get(d)))
    if got:
        return got.most_common(1)[0][0], "owner of the documents these questions got"
    found = Counter(o for q in members for o in search_owners(q.question))
    if found:
        return found.most_common(1)[0][0], "owner of what a search for these questions finds now"
    return None, "no document near these questions"
