"""Operations: a reindex under live traffic, and Elasticsearch going away."""
import socket
import threading
import time

import requests

from tests.search.conftest import reindex


def test_a_reindex_while_20_searches_a_second_run_fails_none_and_keeps_the_counts(
        shop, es, products_alias, indexed_catalog):
    queries = ["jeans", "kurta", "bomber jacket", "linen shirt"]
    before = {q: shop.found(q=q, limit=1)["total"] for q in queries}
    old_index = sorted(es.indices.get_alias(name=products_alias))
    failures, answered, stop = [], [], threading.Event()

    def client(n):
        http = requests.Session()
        http.trust_env = False
        while not stop.is_set():
            started = time.monotonic()
            q = queries[n % len(queries)]
            try:
                response = http.get(f"{shop.url}/api/search", params={"q": q, "limit": 5},
                                    timeout=10)
                if response.status_code != 200:
                    failures.append((q, response.status_code, response.text[:200]))
                else:
                    answered.append(response.json()["total"] == before[q])
            except requests.RequestException as exc:
                failures.append((q, repr(exc)))
            time.sleep(max(0.0, 0.2 - (time.monotonic() - started)))  # 5/s per client

    clients = [threading.Thread(target=client, args=(n,)) for n in range(4)]  # 20/s
    for t in clients:
        t.start()
    try:
        reindex("products")
    finally:
        stop.set()
        for t in clients:
            t.join(15)
    assert not failures, failures[:5]
    assert len(answered) >= 20 and all(answered)
    assert sorted(es.indices.get_alias(name=products_alias)) != old_index
    assert {q: shop.found(q=q, limit=1)["total"] for q in queries} == before


def _closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again when we return: nothing listens there


def test_elasticsearch_down_is_503_search_unavailable_within_1s_and_the_shop_carries_on(
        shop, platform, indexed_catalog):
    platform.stop("search")
    try:
        platform.start("search", extra_env={
            "ELASTICSEARCH_URI": f"http://127.0.0.1:{_closed_port()}"})

        def unavailable():
            try:
                return shop.search(q="jeans").status_code == 503
            except requests.RequestException:
                return False

        deadline = time.monotonic() + 60
        while not unavailable():
            assert time.monotonic() < deadline, "the search service never answered"
            time.sleep(0.2)
        for path in ("/api/search?q=jeans", "/api/search/suggest?q=jea"):
            started = time.monotonic()
            response = shop.http.get(shop.url + path, timeout=10)
            assert time.monotonic() - started < 1.0
            assert response.status_code == 503
            assert response.json()["error"]["code"] == "search_unavailable"
        assert shop.http.get(f"{shop.url}/api/products?limit=2", timeout=10).status_code == 200
    finally:
        platform.stop("search")
        platform.start("search")
        platform.wait_healthy("search", timeout=90)
    assert shop.search(q="jeans").status_code == 200
