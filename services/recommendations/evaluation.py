"""Offline evaluation on a time-split hold-out: precision@k, recall@k, NDCG@k, coverage.

The generated behaviour is cut at a moment in time: the models learn from everything before
it, and a shopper's relevant items are those they carted or bought after it (minus what they
had already bought, which the rules never show again). Every model is judged through the
same business rules, so the table says what shoppers would have been shown.
"""
import math
from dataclasses import dataclass

import numpy as np

from services.recommendations import algorithms, rules

K = 10
MODELS = ("popularity", "cf", "content", "hybrid")
# Relative weights (content fixed at 0.5): history and popularity may be left out entirely.
MIX_GRID = [{"cf": a, "content": 0.5, "popularity": pw, "history": h}
            for h in (0.0, 0.5) for a in (0.25, 0.75) for pw in (0.0, 0.1)]


@dataclass
class Split:
    train: list        # (user, product_id, kind, weight, day)
    relevant: dict     # user → set of product ids
    bought: dict       # user → product ids bought before the cut
    cut: float


def time_split(events, holdout=0.2):
    days = sorted(e.day for e in events)
    cut = days[int(len(days) * (1 - holdout))] if days else 0.0
    train = [(e.user, e.product_id, e.kind, e.weight, e.day) for e in events if e.day < cut]
    bought = {}
    for u, p, kind, _, _ in train:
        if kind == "purchase":
            bought.setdefault(u, set()).add(p)
    relevant = {}
    for e in events:
        if e.day >= cut and e.kind in algorithms.POSITIVE_KINDS \
                and e.product_id not in bought.get(e.user, ()):
            relevant.setdefault(e.user, set()).add(e.product_id)
    return Split(train, relevant, bought, cut)


def metrics_at_k(lists, relevant, n_items, k=K):
    precision, recall, ndcg, seen = [], [], [], set()
    for user, recs in lists.items():
        rel = relevant[user]
        hits = [1.0 if p in rel else 0.0 for p in recs[:k]]
        precision.append(sum(hits) / k)
        recall.append(sum(hits) / len(rel))
        dcg = sum(h / math.log2(i + 2) for i, h in enumerate(hits))
        ideal = sum(1.0 / math.log2(i + 2) for i in range(min(len(rel), k)))
        ndcg.append(dcg / ideal if ideal else 0.0)
        seen.update(recs[:k])
    mean = (lambda xs: float(np.mean(xs)) if xs else 0.0)
    return {"precision@10": mean(precision), "recall@10": mean(recall),
            "ndcg@10": mean(ndcg), "coverage": len(seen) / n_items if n_items else 0.0,
            "users": len(lists)}


def _lists(scores, users, index, category_of, bought, k=K):
    out = {}
    ids = index.ids
    for row, user in enumerate(users):
        ranked = ids[np.argsort(-scores[row], kind="stable")[:k * 6]]
        out[user] = rules.pick([int(p) for p in ranked], k, category_of,
                               exclude=bought.get(user, ()))
    return out


def score_all(scorer, matrix, mix=None):
    hybrid, _ = scorer.hybrid(matrix, mix)
    return {"popularity": scorer.popular(matrix.shape[0]), "cf": scorer.cf(matrix),
            "content": scorer.content_scores(matrix), "hybrid": hybrid}


class _Judge:
    """One model fitted on a split's training part, and what its scores would show."""

    def __init__(self, split, items, index, content, components, mix=None, seed=0):
        self.split, self.index = split, index
        model = algorithms.fit(split.train, index, split.cut, components, mix, seed)
        self.scorer = algorithms.Scorer(model, content, index)
        self.users = sorted(split.relevant)
        self.matrix, _ = algorithms.confidence_matrix(
            [(u, p, w, d) for u, p, _, w, d in split.train], index, split.cut, users=self.users)
        self.category_of = {int(i["product_id"]): (i.get("category") or {}).get("id")
                            for i in items}

    def metrics(self, scores):
        lists = _lists(scores, self.users, self.index, self.category_of, self.split.bought)
        return metrics_at_k(lists, self.split.relevant, len(self.index))


def evaluate_split(split, items, index, content, components, mix, seed=0):
    judge = _Judge(split, items, index, content, components, mix, seed)
    return {name: judge.metrics(scores)
            for name, scores in score_all(judge.scorer, judge.matrix, mix).items()}


def choose_mix(split, items, index, content, components, seed=0):
    """The hybrid mix that does best on a validation cut inside the training period (the
    hold-out is never looked at): one model fitted on the cut, every mix of the grid judged."""
    inner = time_split([_AsEvent(*row) for row in split.train], holdout=0.2)
    judge = _Judge(inner, items, index, content, components, None, seed)
    best, best_p = dict(algorithms.DEFAULT_MIX), -1.0
    for mix in MIX_GRID:
        p = judge.metrics(judge.scorer.hybrid(judge.matrix, mix)[0])["precision@10"]
        if p > best_p:
            best, best_p = mix, p
    return best


class _AsEvent:
    __slots__ = ("user", "product_id", "kind", "weight", "day")

    def __init__(self, user, product_id, kind, weight, day):
        self.user, self.product_id, self.kind, self.weight, self.day = (
            user, product_id, kind, weight, day)


def format_table(table):
    header = f"{'model':<12}{'precision@10':>14}{'recall@10':>12}{'ndcg@10':>10}{'coverage':>10}"
    lines = [header, "-" * len(header)]
    for name in MODELS:
        m = table[name]
        lines.append(f"{name:<12}{m['precision@10']:>14.4f}{m['recall@10']:>12.4f}"
                     f"{m['ndcg@10']:>10.4f}{m['coverage']:>10.3f}")
    return "\n".join(lines)
