"""Train a new model version: `python -m services.recommendations.train --env dev`.

1. refresh our catalog projection from the products service (one RPC per product);
2. generate shopper behaviour with hidden tastes over that catalog (behaviour.py), cut it in
   time, choose the hybrid's mix on a validation cut of the training part, and evaluate
   popularity, CF, content and hybrid on the hold-out (printed as a table);
3. fit the model that will serve on the live interactions when there are enough shoppers
   (--min-live-users), else on the generated behaviour plus whatever live behaviour exists;
4. store it as the next version with its metrics, and activate it with one RPC (unless
   --no-activate). `--rollback` instead re-activates the previous version.
"""
import argparse
import sys
import time
from datetime import datetime, timezone

from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy.orm import sessionmaker
from tqdm import tqdm

import kit.errors  # noqa: F401  (RPC errors arrive as our types)
from kit.config import load_config
from kit.db import make_engine
from services.recommendations import algorithms, behaviour, catalog, evaluation, interactions
from services.recommendations import registry

MODEL_NAME = "hybrid-svd-tfidf"
STAGES = ("catalog", "behaviour", "mix", "evaluate", "fit", "save")


def train_offline(items, shoppers=2000, seed=7, components=algorithms.DEFAULT_COMPONENTS,
                  live_rows=(), min_live_users=50, step=lambda name: None, tune=True):
    """Everything but I/O: returns (model, evaluation table, info). `live_rows` are
    (user, product_id, kind, weight, day ≤ 0) with day counted back from now."""
    index = algorithms.ItemIndex([i["product_id"] for i in items])
    content = algorithms.content_matrix(items, index)
    step("behaviour")
    generated = behaviour.generate(items, shoppers=shoppers, seed=seed)
    split = evaluation.time_split(generated)
    step("mix")
    mix = (evaluation.choose_mix(split, items, index, content, components, seed) if tune
           else dict(algorithms.DEFAULT_MIX))
    step("evaluate")
    table = evaluation.evaluate_split(split, items, index, content, components, mix, seed)
    step("fit")
    live_users = {r[0] for r in live_rows}
    rows = [(("live", u), p, k, w, d) for u, p, k, w, d in live_rows]
    source = "live"
    if len(live_users) < min_live_users:
        # Too few real shoppers to learn from alone: the generated period ends now.
        rows += [(("generated", e.user), e.product_id, e.kind, e.weight,
                  e.day - behaviour.DEFAULT_DAYS) for e in generated]
        source = "generated+live" if live_rows else "generated"
    started = time.perf_counter()
    model = algorithms.fit(rows, index, 0.0, components, mix, seed)
    info = {"source": source, "shoppers_generated": shoppers, "live_shoppers": len(live_users),
            "events_generated": len(generated), "training_rows": len(rows),
            "holdout_users": len(split.relevant), "items": len(index), "components": components,
            "mix": mix, "seed": seed, "fit_seconds": round(time.perf_counter() - started, 3)}
    return model, table, info


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env", default=None)
    parser.add_argument("--shoppers", type=int, default=2000, help="generated shoppers")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--components", type=int, default=algorithms.DEFAULT_COMPONENTS)
    parser.add_argument("--min-live-users", type=int, default=50)
    parser.add_argument("--no-sync", action="store_true", help="keep the catalog projection")
    parser.add_argument("--no-tune", action="store_true", help="default mix, no validation cut")
    parser.add_argument("--no-activate", action="store_true")
    parser.add_argument("--rollback", action="store_true", help="re-activate the previous model")
    parser.add_argument("--if-missing", action="store_true",
                        help="only sync the catalog when a model is already active (make up)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    config = load_config(args.env)
    engine = make_engine(config["DB_URIS"]["recommendations"], pool_size=1, max_overflow=0)
    sessions = sessionmaker(engine)
    with ClusterRpcProxy(config, timeout=60) as cluster:
        if args.rollback:
            model = cluster.recommendations.rollback_model()
            print(f"rolled back: model version {model['version']} is active")
            return 0
        started = time.perf_counter()
        bar = tqdm(total=len(STAGES), desc="training", unit="step", disable=args.quiet,
                   file=sys.stderr)

        def step(name):
            bar.set_postfix_str(name)
            bar.update(1)

        bar.set_postfix_str("catalog")
        if not args.no_sync:
            catalog.sync(sessions, cluster.products, progress=lambda ids: tqdm(
                ids, desc="catalog", unit="product", leave=False, disable=args.quiet,
                file=sys.stderr))
            cluster.recommendations.catalog_synced()
        if args.if_missing:
            with sessions() as session:
                active = registry.active_version(session)
            if active is not None:
                bar.close()
                print(f"catalog synced; model version {active} is already active")
                return 0
        with sessions() as session:
            items = [i for i in catalog.load_items(session) if i["is_active"]]
            live = interactions.training_rows(session, datetime.now(timezone.utc))
        if not items:
            bar.close()
            print("no products in the catalog yet: nothing to train on", file=sys.stderr)
            return 1
        model, table, info = train_offline(items, args.shoppers, args.seed, args.components,
                                           live, args.min_live_users, step, not args.no_tune)
        step("save")
        info["train_seconds"] = round(time.perf_counter() - started, 3)
        metrics = {"holdout": table, **info}
        with sessions() as session, session.begin():
            row = registry.save(session, MODEL_NAME, table["hybrid"]["precision@10"], metrics,
                                {"components": args.components, "mix": info["mix"],
                                 "half_life_days": algorithms.HALF_LIFE_DAYS},
                                model.to_bytes())
            version = row.version
        bar.close()
        if not args.no_activate:
            cluster.recommendations.activate_model(version)
    print(f"model version {version} ({MODEL_NAME}) trained on {info['source']} behaviour: "
          f"{info['items']} products, {info['training_rows']} interactions, "
          f"{info['holdout_users']} hold-out shoppers, {info['train_seconds']} s"
          f"{'' if args.no_activate else ' — active'}")
    print(evaluation.format_table(table))
    pop, hyb = table["popularity"]["precision@10"], table["hybrid"]["precision@10"]
    print(f"hybrid vs popularity precision@10: {hyb:.4f} vs {pop:.4f} "
          f"({(hyb / pop - 1) * 100 if pop else float('inf'):+.0f} %)")
    engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
