"""Stories of carts through the gateway: a guest fills a cart kept by a session cookie (or a
header, for apps), signs in and finds it merged into their account's cart, which every device
of theirs then shares."""
import uuid

import requests

from tests.catalog.helpers import assert_error

COOKIE, HEADER = "aarya_cart", "X-Cart-Session"


def register_and_login(api, browser=None):
    """A new shopper account; returns (account, login response) signing in from `browser`."""
    tag = uuid.uuid4().hex[:10]
    account = {"email": f"cart-{tag}@example.com", "username": f"cart_{tag}",
               "password": "correct horse battery", "full_name": "Cart Shopper"}
    registered = requests.post(f"{api.url}/api/auth/register", json=account, timeout=15)
    assert registered.status_code == 201, registered.text
    return account, login(api, account, browser)


def login(api, account, browser=None, headers=None):
    response = (browser or requests).post(
        f"{api.url}/api/auth/login", json={"email": account["email"],
                                           "password": account["password"]},
        headers=headers or {}, timeout=15)
    assert response.status_code == 200, response.text
    return response


def bearer(login_response):
    return {"Authorization": f"Bearer {login_response.json()['access_token']}"}


def lines(cart):
    return {line["variant_id"]: line["quantity"] for line in cart["lines"]}


def test_a_guest_cart_is_kept_by_a_cookie_and_merged_at_sign_in_for_every_device(
        api, new_product):
    product = new_product(stocks=(10, 4))
    first, second = (v["id"] for v in product["variants"])
    browser = requests.Session()

    added = browser.post(f"{api.url}/api/cart/items", json={"variant_id": first, "quantity": 2},
                         timeout=15)
    assert added.status_code == 200, added.text
    cookie = next(c for c in browser.cookies if c.name == COOKIE)
    assert cookie.path == "/api" and cookie.has_nonstandard_attr("HttpOnly")
    assert "samesite=lax" in added.headers["Set-Cookie"].lower()
    assert added.headers[HEADER] == cookie.value
    assert added.json()["owner"] == {"session_id": cookie.value}
    browser.post(f"{api.url}/api/cart/items", json={"variant_id": second, "quantity": 1},
                 timeout=15).raise_for_status()
    assert lines(browser.get(f"{api.url}/api/cart", timeout=15).json()) == {first: 2, second: 1}
    # Another guest has a cart of their own.
    assert requests.get(f"{api.url}/api/cart", timeout=15).json()["lines"] == []

    account, signed_in = register_and_login(api, browser)
    assert COOKIE not in browser.cookies  # the guest session is spent
    user_id = signed_in.json()["user"]["id"]
    mine = requests.get(f"{api.url}/api/cart", headers=bearer(signed_in), timeout=15).json()
    assert mine["owner"] == {"user_id": user_id}
    assert lines(mine) == {first: 2, second: 1}

    # A second device (another sign-in of the same shopper) sees and changes the same cart.
    phone = bearer(login(api, account))
    assert lines(requests.get(f"{api.url}/api/cart", headers=phone, timeout=15).json()) == {
        first: 2, second: 1}
    changed = requests.patch(f"{api.url}/api/cart/items/{first}", headers=phone,
                             json={"quantity": 5}, timeout=15)
    assert changed.status_code == 200 and lines(changed.json()) == {first: 5, second: 1}
    removed = requests.delete(f"{api.url}/api/cart/items/{second}", headers=bearer(signed_in),
                              timeout=15)
    assert lines(removed.json()) == {first: 5}
    assert lines(requests.get(f"{api.url}/api/cart", headers=phone, timeout=15).json()) == {
        first: 5}
    emptied = requests.delete(f"{api.url}/api/cart", headers=phone, timeout=15)
    assert emptied.status_code == 200 and emptied.json()["lines"] == []


def test_an_app_keeps_its_guest_cart_with_the_header_and_merges_it_the_same_way(
        api, new_product):
    product = new_product(stocks=(6,))
    variant = product["variants"][0]["id"]
    added = requests.post(f"{api.url}/api/cart/items", json={"variant_id": variant,
                                                             "quantity": 3}, timeout=15)
    session = added.headers[HEADER]
    app = {HEADER: session}
    again = requests.post(f"{api.url}/api/cart/items", headers=app,
                          json={"variant_id": variant, "quantity": 1}, timeout=15)
    assert again.headers[HEADER] == session and lines(again.json()) == {variant: 4}

    account, _ = register_and_login(api)
    signed_in = login(api, account, headers=app)
    mine = requests.get(f"{api.url}/api/cart", headers=bearer(signed_in), timeout=15).json()
    assert lines(mine) == {variant: 4}
    # The guest cart is gone: the session starts empty if the app keeps sending it.
    assert requests.get(f"{api.url}/api/cart", headers=app, timeout=15).json()["lines"] == []


def test_merging_adds_to_what_the_account_already_holds_capped_by_stock(api, new_product):
    product = new_product(stocks=(5,))
    variant = product["variants"][0]["id"]
    account, signed_in = register_and_login(api)
    requests.post(f"{api.url}/api/cart/items", headers=bearer(signed_in), timeout=15,
                  json={"variant_id": variant, "quantity": 3}).raise_for_status()
    browser = requests.Session()
    browser.post(f"{api.url}/api/cart/items", json={"variant_id": variant, "quantity": 4},
                 timeout=15).raise_for_status()
    merged = login(api, account, browser)
    assert lines(requests.get(f"{api.url}/api/cart", headers=bearer(merged),
                              timeout=15).json()) == {variant: 5}


def test_bad_cart_requests_are_refused_and_change_nothing(api, new_product):
    product = new_product(stocks=(2,))
    variant = product["variants"][0]["id"]
    browser = requests.Session()
    browser.post(f"{api.url}/api/cart/items", json={"variant_id": variant, "quantity": 1},
                 timeout=15).raise_for_status()
    for payload, status, field in (
            ({"variant_id": variant, "quantity": 0}, 422, "quantity"),
            ({"variant_id": variant, "quantity": "two"}, 422, "quantity"),
            ({"variant_id": variant, "quantity": 5}, 422, "quantity"),   # only 2 in stock
            ({"variant_id": "x", "quantity": 1}, 422, "variant_id"),
            ({"variant_id": 987654321, "quantity": 1}, 404, None),
            ({"variant_id": 2 ** 70, "quantity": 1}, 404, None)):
        refused = browser.post(f"{api.url}/api/cart/items", json=payload, timeout=15)
        assert_error(refused, status, field=field)
    assert_error(browser.patch(f"{api.url}/api/cart/items/{variant}", json={"quantity": -1},
                               timeout=15), 422, field="quantity")
    assert_error(requests.get(f"{api.url}/api/cart",
                              headers={"Authorization": "Bearer junk"}, timeout=15), 401)
    assert lines(browser.get(f"{api.url}/api/cart", timeout=15).json()) == {variant: 1}
