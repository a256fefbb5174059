"""The models, pure numpy/scipy/scikit-learn: popularity, implicit CF, content, hybrid.

Everything works on one item index (the catalog's product ids, sorted) and on a user×item
matrix of implicit confidence: log1p of the summed, recency-decayed interaction weights.

- Popularity: how many distinct shoppers interacted with an item, weighted, log-scaled.
- CF: TruncatedSVD of the user×item matrix. Only the item factors V are kept; a shopper is
  folded in at serving time as x·V, so their scores x·V·Vᵀ move with every new interaction
  without a retrain (and the training users never leak into serving).
- Content: TF-IDF of name, description, category path, brand, colours, sizes and a price band,
  L2-normalised; a shopper's profile is the weighted sum of what they touched.
- History: the shopper's own decayed interactions (what they keep coming back to). About half
  of what a shopper carts or buys next they had already looked at; a truncated SVD smooths
  exactly that diagonal away, so the hybrid carries it as a part of its own.
- Hybrid: per shopper, each part (history, CF, content, popularity) is scaled to [0, 1] over
  the catalog and mixed with weights chosen on a validation cut inside the training period
  (never on the hold-out); a shopper with no history gets popularity alone. An item's reason
  is whichever of CF, content and popularity weighs most in it (history has no reason of
  its own: what you looked at before is shown as "similar_style" or "similar_shoppers").
- Bought together: item×item co-purchase counts (cart or purchase by the same shopper).
"""
import io
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

# Implicit weight of each kind of interaction (a review's weight depends on its stars).
WEIGHTS = {"view": 1.0, "search_click": 2.0, "rec_click": 2.0, "cart": 3.0, "purchase": 5.0}
POSITIVE_KINDS = ("cart", "purchase")
HALF_LIFE_DAYS = 14.0
DEFAULT_COMPONENTS = 48   # 24 under-fit the demo catalog (validation p@10 of CF 0.098 → 0.139)
TOGETHER_TOP = 20
PARTS = ("cf", "content", "popularity", "history")   # the artifact's mix array, in this order
# Chosen on the validation cut of the train command's behaviour (docs: README, evaluation.py).
DEFAULT_MIX = {"cf": 0.35, "content": 0.35, "popularity": 0.0, "history": 0.3}


def review_weight(rating):
    return {5: 4.0, 4: 3.0, 3: 1.0}.get(int(rating or 0), 0.0)


def decay(age_days, half_life_days=HALF_LIFE_DAYS):
    return np.power(0.5, np.maximum(age_days, 0.0) / half_life_days)


class ItemIndex:
    """Product id ↔ column, for one catalog."""

    def __init__(self, product_ids):
        self.ids = np.array(sorted(set(int(p) for p in product_ids)), dtype=np.int64)
        self.position = {int(p): i for i, p in enumerate(self.ids)}

    def __len__(self):
        return len(self.ids)

    def columns(self, product_ids):
        return [self.position[p] for p in product_ids if p in self.position]


def confidence_matrix(rows, index, now_days, users=None):
    """rows: (user, product_id, weight, day) → (csr users×items, user keys in row order)."""
    users = users if users is not None else sorted({r[0] for r in rows})
    user_row = {u: n for n, u in enumerate(users)}
    r, c, w, d = [], [], [], []
    position = index.position
    for user, product_id, weight, day in rows:
        col = position.get(product_id)
        row = user_row.get(user)
        if col is None or row is None or weight <= 0:
            continue
        r.append(row)
        c.append(col)
        w.append(weight)
        d.append(day)
    v = np.asarray(w, dtype=np.float64) * decay(now_days - np.asarray(d, dtype=np.float64))
    m = sp.csr_matrix((v, (r, c)), shape=(len(users), len(index)), dtype=np.float64)
    m.sum_duplicates()
    m.data = np.log1p(m.data)
    return m, users


def item_text(item):
    category = item.get("category") or {}
    path = " ".join(str(s).replace("-", " ") for s in category.get("path") or [])
    brand = (item.get("brand") or {}).get("name", "")
    tokens = [item.get("name") or "", item.get("description") or "", category.get("name", ""),
              path, f"brand_{(item.get('brand') or {}).get('slug', '')}", brand,
              " ".join(f"colour_{c}".replace(" ", "_") for c in item.get("colours") or []),
              " ".join(f"size_{s}".replace(" ", "_") for s in item.get("sizes") or []),
              f"cat_{category.get('slug', '')}"]
    return " ".join(tokens).lower()


def content_matrix(items, index):
    """TF-IDF rows in index order (L2-normalised), fitted on this catalog's text."""
    by_id = {int(i["product_id"]): i for i in items}
    docs = [item_text(by_id[int(p)]) for p in index.ids]
    vectorizer = TfidfVectorizer(token_pattern=r"[a-z0-9_]+", sublinear_tf=True, min_df=1,
                                 ngram_range=(1, 1), dtype=np.float32)
    return normalize(vectorizer.fit_transform(docs)) if docs else sp.csr_matrix((0, 0))


@dataclass
class TrainedModel:
    """What a version keeps: the item side only (shoppers are folded in when served)."""
    product_ids: np.ndarray
    item_factors: np.ndarray          # items × k
    popularity: np.ndarray            # items, in [0, 1]
    together_ids: np.ndarray          # items × TOGETHER_TOP product ids (0: none)
    together_counts: np.ndarray       # items × TOGETHER_TOP
    mix: dict = field(default_factory=lambda: dict(DEFAULT_MIX))

    def to_bytes(self):
        buffer = io.BytesIO()
        np.savez_compressed(buffer, product_ids=self.product_ids, item_factors=self.item_factors,
                            popularity=self.popularity, together_ids=self.together_ids,
                            together_counts=self.together_counts,
                            mix=np.array([self.mix.get(p, 0.0) for p in PARTS]))
        return buffer.getvalue()

    @classmethod
    def from_bytes(cls, raw):
        with np.load(io.BytesIO(raw), allow_pickle=False) as z:
            # Versions made before the history part stored three weights: history 0.
            mix = {p: 0.0 for p in PARTS}
            mix.update(zip(PARTS, (float(x) for x in z["mix"])))
            return cls(z["product_ids"], z["item_factors"], z["popularity"], z["together_ids"],
                       z["together_counts"], mix)


def popularity_vector(matrix):
    """Distinct-shopper reach of each item, log-scaled to [0, 1]."""
    binary = matrix.copy()
    binary.data = np.minimum(binary.data, 1.0)
    reach = np.asarray(binary.sum(axis=0)).ravel()
    scaled = np.log1p(reach)
    top = scaled.max() if scaled.size else 0.0
    return scaled / top if top > 0 else scaled


def fit_item_factors(matrix, components=DEFAULT_COMPONENTS, seed=0):
    k = max(1, min(components, min(matrix.shape) - 1))
    if matrix.nnz == 0 or min(matrix.shape) < 2:
        return np.zeros((matrix.shape[1], k))
    svd = TruncatedSVD(n_components=k, algorithm="randomized", n_iter=7, random_state=seed)
    svd.fit(matrix)
    return svd.components_.T.astype(np.float32)


def co_purchases(positive_matrix, top=TOGETHER_TOP):
    """For each item, the items most often carted/bought by the same shoppers."""
    binary = positive_matrix.copy()
    binary.data = np.ones_like(binary.data)
    co = (binary.T @ binary).tocsr().astype(np.float32)
    co.setdiag(0)
    co.eliminate_zeros()
    n = co.shape[0]
    ids = np.zeros((n, top), dtype=np.int64)
    counts = np.zeros((n, top), dtype=np.float32)
    for i in range(n):
        start, end = co.indptr[i], co.indptr[i + 1]
        if start == end:
            continue
        cols, vals = co.indices[start:end], co.data[start:end]
        order = np.argsort(-vals, kind="stable")[:top]
        ids[i, :len(order)] = cols[order]
        counts[i, :len(order)] = vals[order]
    return ids, counts   # column positions for now; fit() maps them to product ids


def fit(rows, index, now_days, components=DEFAULT_COMPONENTS, mix=None, seed=0):
    """Train on rows (user, product_id, kind, weight, day) observed up to now_days."""
    weighted = [(u, p, w, d) for u, p, _, w, d in rows]
    matrix, _ = confidence_matrix(weighted, index, now_days)
    positives, _ = confidence_matrix([(u, p, w, d) for u, p, k, w, d in rows
                                      if k in POSITIVE_KINDS], index, now_days)
    cols, counts = co_purchases(positives)
    together = np.where(counts > 0, index.ids[cols], 0)
    return TrainedModel(index.ids.copy(), fit_item_factors(matrix, components, seed),
                        popularity_vector(matrix), together, counts, dict(mix or DEFAULT_MIX))


def _scaled(scores):
    """Each row to [0, 1] (a row with no spread becomes zeros)."""
    low = scores.min(axis=1, keepdims=True)
    span = scores.max(axis=1, keepdims=True) - low
    return np.divide(scores - low, span, out=np.zeros_like(scores), where=span > 1e-12)


class Scorer:
    """Scores shoppers (rows of a confidence matrix over `index`) with one trained model."""

    def __init__(self, model, content, index):
        self.model = model
        self.index = index
        self.content = content
        # The model may predate catalog changes: align its item side to this index.
        k = model.item_factors.shape[1]
        self.factors = np.zeros((len(index), k), dtype=np.float32)
        self.popularity = np.zeros(len(index))
        for row, product_id in enumerate(model.product_ids):
            col = index.position.get(int(product_id))
            if col is not None:
                self.factors[col] = model.item_factors[row]
                self.popularity[col] = model.popularity[row]
        self._model_row = {int(p): r for r, p in enumerate(model.product_ids)}

    def cf(self, users):
        return np.asarray((users @ self.factors) @ self.factors.T)

    def content_scores(self, users):
        profile = users @ self.content                    # users × vocab
        return np.asarray((profile @ self.content.T).todense() if sp.issparse(profile)
                          else profile @ self.content.T)

    def popular(self, n_users):
        return np.tile(self.popularity, (n_users, 1))

    def hybrid(self, users, mix=None):
        """(scores, reason per cell): cf / content / popularity, whichever weighs most."""
        mix = mix or self.model.mix
        explained = ("cf", "content", "popularity")          # the parts a reason names
        parts = {"cf": _scaled(self.cf(users)), "content": _scaled(self.content_scores(users)),
                 "popularity": self.popular(users.shape[0])}
        weighted = np.stack([mix.get(name, 0.0) * parts[name] for name in explained])
        scores = weighted.sum(axis=0)
        if mix.get("history"):
            history = users.toarray() if sp.issparse(users) else np.asarray(users)
            scores += mix["history"] * _scaled(history)
        cold = np.asarray(users.sum(axis=1)).ravel() <= 0
        scores[cold] = parts["popularity"][cold]
        dominant = weighted.argmax(axis=0)
        dominant[cold] = 2
        return scores, dominant

    def similar(self, product_id):
        """Content similarity of every item to this one (cosine of TF-IDF)."""
        col = self.index.position[product_id]
        sims = np.asarray((self.content @ self.content[col].T).todense()).ravel()
        factors = self.factors
        norms = np.linalg.norm(factors, axis=1) * (np.linalg.norm(factors[col]) or 1.0)
        cf = np.divide(factors @ factors[col], norms, out=np.zeros(len(self.index)),
                       where=norms > 1e-12)
        return 0.7 * sims + 0.3 * np.maximum(cf, 0.0)

    def together(self, product_id):
        """[(product_id, count)] most co-bought with this one, best first."""
        row = self._model_row.get(product_id)
        if row is None:
            return []
        return [(int(p), float(c)) for p, c in zip(self.model.together_ids[row],
                                                   self.model.together_counts[row]) if c > 0]


REASONS = ("similar_shoppers", "similar_style", "popular")
