"""The train command: offline figures on a time-split hold-out of shoppers with hidden tastes,
a new version per run, and rolling back to the version that served before."""
from tests.recommendations.conftest import train

FOR_ME = "/api/recommendations/for-me"


def test_the_hybrid_beats_popularity_by_a_fifth_on_the_hold_out(trained, rpc):
    output, version = trained
    holdout = rpc.recommendations.get_model(version)["metrics"]["holdout"]
    popularity = holdout["popularity"]["precision@10"]
    hybrid = holdout["hybrid"]["precision@10"]
    print(f"\nprecision@10 on the hold-out: popularity {popularity:.4f}, hybrid {hybrid:.4f} "
          f"({hybrid / popularity:.1f}x); cf {holdout['cf']['precision@10']:.4f}, content "
          f"{holdout['content']['precision@10']:.4f}")
    assert hybrid >= 1.2 * popularity
    for name in ("popularity", "cf", "content", "hybrid"):  # the printed table
        assert name in output
        assert set(holdout[name]) >= {"precision@10", "recall@10", "ndcg@10", "coverage"}


def test_training_twice_makes_two_versions_and_a_rollback_serves_the_old_one_again(
        trained, rpc, store, people):
    _, first = trained
    shopper = people.shopper()
    assert store.get(FOR_ME, shopper, limit=5).json()["model_version"] == first

    _, second = train("--no-sync", "--shoppers", "300", "--seed", "11")

    assert second == first + 1
    versions = {m["version"]: m for m in rpc.recommendations.list_models()}
    assert versions[second]["is_active"] and not versions[first]["is_active"]
    assert store.get(FOR_ME, shopper, limit=5).json()["model_version"] == second

    rolled_back = rpc.recommendations.rollback_model()  # what `train --rollback` calls

    assert rolled_back["version"] == first and rolled_back["is_active"]
    assert store.get(FOR_ME, shopper, limit=5).json()["model_version"] == first
    assert store.get(FOR_ME, limit=5).json()["model_version"] == first  # guests too
    assert {m["version"] for m in rpc.recommendations.list_models()} >= {first, second}
