"""The events the search service emits (through its outbox) and the shape of each `data`.

search.query           {search_id, user_id|null, query, filters, sort, results_count}
search.result.clicked  {search_id, user_id|null, query, product_id, position|null}
search.index.updated   {kind, index, alias, previous[], documents, took_s}
"""
QUERY = "search.query"
RESULT_CLICKED = "search.result.clicked"
INDEX_UPDATED = "search.index.updated"

# Product events that can change which products a search returns or their facet counts.
# A view only nudges popularity; a stock change within "in stock" changes nothing a filter sees.
RESULT_CHANGING = ("product.created", "product.updated", "product.reviewed")
STOCK_CROSSINGS = ("out_of_stock", "back_in_stock")


def changes_results(event):
    if event["type"] in RESULT_CHANGING:
        return True
    return (event["type"] == "product.inventory.updated"
            and event["data"].get("status") in STOCK_CROSSINGS)
