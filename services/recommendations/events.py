"""The events the recommendations service emits (through its outbox) and the shape of each `data`.

recommendation.generated        {user_id, surface, model_version, strategy, product_ids}
recommendation.clicked          {user_id, product_id, surface, model_version}
recommendation.purchased        {user_id, product_id, surface, model_version, order_id}
recommendation.model.activated  {version, name, previous_version, accuracy}

`model_version` 0 means "no trained model": the list was popularity alone.
"""
GENERATED = "recommendation.generated"
CLICKED = "recommendation.clicked"
PURCHASED = "recommendation.purchased"
MODEL_ACTIVATED = "recommendation.model.activated"


def generated(user_id, surface, model_version, strategy, product_ids):
    return {"user_id": user_id, "surface": surface, "model_version": model_version,
            "strategy": strategy, "product_ids": list(product_ids)}


def clicked(user_id, product_id, surface, model_version):
    return {"user_id": user_id, "product_id": product_id, "surface": surface,
            "model_version": model_version}


def purchased(row, order_id):
    return {"user_id": row.user_id, "product_id": row.product_id, "surface": row.surface,
            "model_version": row.model_version, "order_id": order_id}


def model_activated(model, previous_version):
    return {"version": model.version, "name": model.name, "previous_version": previous_version,
            "accuracy": model.accuracy}
