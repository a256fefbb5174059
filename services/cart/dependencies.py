"""The products service as the cart sees it: current price, stock and sellability per variant.

`ProductsRpc` is nameko's RpcProxy("products") whose worker-side object offers only
`variants(ids)`. Two reasons: the view is normalised in one place (a line is sellable only if
the variant and its product both are; products' `is_active` already folds the two together,
`product_is_active` says which; `name` was once `product_name`; an unknown id makes products
refuse the whole call), and the side door's health probe calls `ping()` on every dependency
that has one — a bare RPC proxy would turn the cart's /health into an RPC to products that
waits forever while products is down.
"""
from nameko.rpc import RpcProxy

from kit.errors import NotFound

PRODUCTS_BATCH = 200  # products' get_variants takes at most 200 ids


def for_sale(row):
    """The products service's view of a variant, as the cart uses it."""
    count = max(0, int(row.get("inventory_count") or 0))
    sellable = bool(row.get("is_active")) and bool(row.get("product_is_active", True))
    return {
        "variant_id": int(row["variant_id"]),
        "product_id": row.get("product_id"),
        "sku": row.get("sku"),
        "name": row.get("name") or row.get("product_name"),
        "size": row.get("size"),
        "colour": row.get("colour"),
        "price": row.get("price"),
        "currency": row.get("currency"),
        "inventory_count": count,
        "in_stock": bool(row.get("in_stock", count > 0)) and count > 0,
        "sellable": sellable,
        "availability": row.get("availability") or (
            "unavailable" if not sellable else "in_stock" if count > 0 else "out_of_stock"),
    }


class VariantLookup:
    def __init__(self, proxy):
        self._proxy = proxy

    def variants(self, variant_ids):
        """{variant_id: view} for the ids that exist; unknown ids are simply absent."""
        ids = sorted({int(i) for i in variant_ids})
        found = {}
        for start in range(0, len(ids), PRODUCTS_BATCH):
            found.update(self._fetch(ids[start:start + PRODUCTS_BATCH]))
        return found

    def _fetch(self, ids):
        try:
            rows = self._proxy.get_variants(ids)
        except NotFound as exc:
            # products refuses the whole call if one id is unknown; ask again without those
            missing = {int(i) for i in (exc.details or {}).get("variant_ids") or []}
            rest = [i for i in ids if i not in missing]
            if len(rest) == len(ids):
                raise
            rows = self._proxy.get_variants(rest) if rest else []
        return {view["variant_id"]: view for view in map(for_sale, rows or [])}


class ProductsRpc(RpcProxy):
    def __init__(self, **options):
        super().__init__("products", **options)

    def get_dependency(self, worker_ctx):
        return VariantLookup(super().get_dependency(worker_ctx))
