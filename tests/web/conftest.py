"""Fixtures for the browser tests: the real platform, the storefront's node server, Chromium.

- `web_url`: the test env's platform (tests/conftest.py `platform`: every service, the bridge,
  the gateway) plus the `web` process (ops/platformctl.py: `ops/web.sh build` when web/ changed,
  then web/server.mjs proxying /api /sse /ws to the gateway). Session-wide; stopped with the rest.
- `browser`: Debian's chromium (/usr/bin/chromium) driven by Playwright for Python (sync API).
  Never `playwright install`: its browser download is not reachable here.
- `open_page(width=DESKTOP|PHONE)`: a new isolated context (own cookies and localStorage, like a
  second shopper) and page on the storefront; closed after the test.
- `catalog` (tests.orders.helpers.Catalog: `catalog.product(stocks...)`), `accounts`
  (`accounts.new(role="customer")` → Account with email/password/tokens), `sign_in(page, account)`.
- `artifacts`: test-artifacts/web/ (git-ignored) for screenshots.

Nothing is mocked: the browser talks to the same gateway and services as every other test.
"""
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import expect

from kit.config import ROOT
from services.users.create_admin import create_admin
from tests.orders.helpers import Catalog
from tests.support.catalog import own_brand_and_category

CHROMIUM = os.environ.get("AARYA_CHROMIUM", "/usr/bin/chromium")
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
ARTIFACTS = ROOT / "test-artifacts" / "web"
# Waits for what a page shows, and for a page load. Generous because the machine (2 cores) is
# shared: under load a cold page load took 11 s here. Live-update deadlines are the tests' own.
TIMEOUT_MS = 20_000
NAVIGATION_TIMEOUT_MS = 60_000
expect.set_options(timeout=TIMEOUT_MS)  # expect() has its own default (5 s)


@pytest.fixture(scope="session")
def web_url(platform, config):
    platform.start("web")
    platform.wait_healthy("web", timeout=60)
    yield "http://" + str(config["WEB"]["bind"])
    platform.stop("web")


@pytest.fixture(scope="session")
def playwright_driver():
    from playwright.sync_api import sync_playwright  # noqa: PLC0415

    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright_driver):
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} missing: apt-get install chromium (ops/tools.sh)"
    browser = playwright_driver.chromium.launch(
        executable_path=CHROMIUM, headless=True,
        args=["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"])
    yield browser
    browser.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.failed_call = report.failed
    return report


@pytest.fixture
def open_page(browser, web_url, request):
    """open_page(path="/", viewport=DESKTOP) → a Page in a fresh context (a separate shopper).
    When the test fails, every page it opened is saved to test-artifacts/web/failed-*.png."""
    contexts = []

    def _open(path="/", viewport=DESKTOP):
        context = browser.new_context(viewport=viewport, base_url=web_url,
                                      device_scale_factor=1, is_mobile=viewport is PHONE,
                                      has_touch=viewport is PHONE)
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        page.goto(path)
        return page

    yield _open
    for n, context in enumerate(contexts):
        if getattr(request.node, "failed_call", False):
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            for m, page in enumerate(context.pages):
                page.screenshot(path=str(ARTIFACTS / f"failed-{request.node.name}-{n}-{m}.png"),
                                full_page=True)
        context.close()


@pytest.fixture(scope="session")
def artifacts():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def catalog(config, platform, rpc):
    """A brand and category of this run; `catalog.variants(3, 1)` makes a product (see helpers)."""
    brand_id, category_id = own_brand_and_category(config, "Aarya Studio", "Kurtas")
    return WebCatalog(rpc, brand_id, category_id)


class WebCatalog(Catalog):
    def product(self, *stocks, price=149900, colours=None):
        """A product with one variant per stock (sizes S, M, L…); returns the product as the
        products service shows it (id, name, variants with ids)."""
        tag = uuid.uuid4().hex[:10]
        sizes = ["S", "M", "L", "XL", "XXL", "XS"]
        colours = colours or ["Indigo"] * len(stocks)
        return self.rpc.products.create_product(self.STAFF, {
            "name": f"Block-print kurta {tag}", "brand_id": self.brand_id,
            "category_id": self.category_id, "price": price, "currency": "INR",
            "description": "Hand block-printed cotton, made in Jaipur.",
            "variants": [{"sku": f"KRT-{tag}-{n}", "size": sizes[n], "colour": colours[n],
                          "inventory_count": count} for n, count in enumerate(stocks)]})


@dataclass
class Account:
    user_id: int
    role: str
    email: str
    password: str
    full_name: str
    tokens: dict


class Accounts:
    """Real accounts made through the users service (argon2 and all)."""

    def __init__(self, config, rpc):
        self.config = config
        self.rpc = rpc

    def new(self, role="customer"):
        tag = uuid.uuid4().hex[:10]
        email, password, name = f"web-{tag}@example.com", f"pw-{tag}-web", f"Shopper {tag[:4]}"
        if role == "customer":
            user_id = self.rpc.users.register({"email": email, "username": f"w_{tag}",
                                               "password": password, "full_name": name})["id"]
        else:
            user_id = create_admin(self.config, email, f"admin_{tag}", password)
        tokens = self.rpc.users.login(email, password)
        return Account(user_id, tokens["user"]["role"], email, password, name, tokens)

    @staticmethod
    def fresh_email():
        return f"web-{uuid.uuid4().hex[:10]}@example.com"


@pytest.fixture(scope="session")
def accounts(config, rpc, platform):
    return Accounts(config, rpc)


def sign_in(page, account):
    """Sign in through the storefront's own form (so the guest cart merges as a shopper's would)."""
    page.goto("/signin/")
    page.get_by_label("Email").fill(account.email)
    page.get_by_label("Password").fill(account.password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_test_id("sign-out").wait_for()


# ==== web-staff: fixtures of the staff console stories (tests/web/test_staff_*.py) =============
import json  # noqa: E402  (this block is web-staff's; kept apart for merges)
import time  # noqa: E402


@pytest.fixture(scope="session")
def staff_session(browser, web_url, accounts):
    """An admin (services.users.create_admin, as `make up` makes one) signed in once through the
    storefront's form; its storage state (the tokens in localStorage) opens every further staff
    page already signed in, so each story does not pay for another argon2 sign-in."""
    agent = accounts.new(role="admin")
    context = browser.new_context(base_url=web_url)
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)
    page = context.new_page()
    sign_in(page, agent)
    state = context.storage_state()
    context.close()
    return agent, state


@pytest.fixture
def staff_page(browser, web_url, staff_session):
    """staff_page(path, viewport=DESKTOP) → a Page of the staff console, signed in as the admin."""
    _, state = staff_session
    contexts = []

    def _open(path, viewport=DESKTOP):
        context = browser.new_context(viewport=viewport, base_url=web_url, storage_state=state,
                                      device_scale_factor=1, is_mobile=viewport is PHONE,
                                      has_touch=viewport is PHONE)
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        page.goto(path)
        expect(page.get_by_test_id("staff-console")).to_be_visible()
        return page

    yield _open
    for context in contexts:
        context.close()


@pytest.fixture
def shopper_page(browser, web_url):
    """shopper_page(account, path, viewport) → a Page already signed in as `account`: its tokens
    (from accounts.new) put where lib/api keeps them, so a story that is not about signing in
    skips the form's second argon2 check (web's stories sign in through the form)."""
    contexts = []

    def _open(account, path="/", viewport=DESKTOP):
        stored = {**account.tokens, "expires_at": int(time.time() * 1000)
                  + int(account.tokens["expires_in"]) * 1000}
        state = {"cookies": [], "origins": [{"origin": web_url, "localStorage": [
            {"name": "aarya.session", "value": json.dumps(stored)}]}]}
        context = browser.new_context(viewport=viewport, base_url=web_url, storage_state=state,
                                      device_scale_factor=1, is_mobile=viewport is PHONE,
                                      has_touch=viewport is PHONE)
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(NAVIGATION_TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        page.goto(path)
        page.get_by_test_id("sign-out").wait_for()
        return page

    yield _open
    for context in contexts:
        context.close()
