"""Story 3 of the storefront: a shopper's chat message reaches the staff console's inbox live,
and the agent's reply comes back to the shopper's widget — two real browsers (one shopper, one
agent) on the real platform, /ws/chat through web/server.mjs to the gateway, stored by the
notifications service. Nothing is reloaded while the story runs; the last step reloads the
shopper's page to show the history is kept.
"""
import re

from playwright.sync_api import expect

from tests.web.conftest import PHONE

LIVE_MS = 5_000  # "live": well inside the 10 s a page may take for anything


def test_a_shoppers_message_reaches_the_inbox_live_and_the_reply_comes_back(
        staff_page, shopper_page, accounts, artifacts):
    shopper = accounts.new()
    console = staff_page("/staff/chat/")
    expect(console.get_by_test_id("live-state")).to_have_attribute("data-state", "open")

    shop = shopper_page(shopper, "/", viewport=PHONE)
    shop.get_by_role("button", name="Chat with us").click()
    panel = shop.get_by_role("region", name="Support chat")
    expect(panel.get_by_test_id("chat-status")).to_have_attribute("data-state", "open")
    question = "Does the indigo kurta run small?"
    panel.get_by_label("Your message").fill(question)
    panel.get_by_label("Your message").press("Enter")  # the keyboard sends, no mouse needed
    expect(panel.get_by_test_id("chat-message").filter(has_text=question)).to_be_visible()
    expect(panel.get_by_test_id("chat-status")).to_contain_text("Waiting for an agent")

    # The agent's inbox hears the new conversation without a reload, and taking it shows what
    # the shopper wrote.
    waiting = console.get_by_test_id("chat-waiting").locator(
        f'[data-customer-id="{shopper.user_id}"]')
    expect(waiting).to_be_visible(timeout=LIVE_MS)
    waiting.click()
    console.get_by_role("button", name="Take conversation").click()
    pane = console.get_by_test_id("chat-pane")
    expect(pane.get_by_test_id("chat-pane-message").filter(has_text=question)).to_be_visible()
    expect(console.get_by_test_id("chat-mine").locator(
        f'[data-customer-id="{shopper.user_id}"]')).to_be_visible()
    expect(panel.get_by_test_id("chat-status")).to_contain_text("An agent is with you",
                                                                 timeout=LIVE_MS)

    # Live both ways from here: the shopper's next message, the agent typing, the reply.
    follow_up = "And is it pre-shrunk?"
    panel.get_by_label("Your message").fill(follow_up)
    panel.get_by_role("button", name="Send message").click()
    expect(pane.get_by_test_id("chat-pane-message").filter(has_text=follow_up)).to_be_visible(
        timeout=LIVE_MS)

    reply_box = pane.get_by_label("Reply")
    reply_box.press_sequentially("Yes, washed", delay=20)
    expect(panel.get_by_test_id("chat-typing")).to_have_text("Support is typing…",
                                                             timeout=LIVE_MS)
    reply_box.press_sequentially(" before cutting; it runs true to size.", delay=5)
    reply_box.press("Enter")
    answer = "Yes, washed before cutting; it runs true to size."
    expect(panel.get_by_test_id("chat-message").filter(has_text=answer)).to_be_visible(
        timeout=LIVE_MS)
    expect(panel.get_by_test_id("chat-message").filter(has_text=answer)).to_have_attribute(
        "data-mine", "false")
    expect(panel.get_by_test_id("chat-typing")).to_have_text("")  # the answer ends "typing…"
    shop.screenshot(path=str(artifacts / "chat-widget-phone.png"))
    console.screenshot(path=str(artifacts / "staff-chat-desktop.png"))

    # The history stays with the shopper's account: a fresh page shows all three messages.
    shop.reload()
    shop.get_by_role("button", name="Chat with us").click()
    messages = shop.get_by_role("region", name="Support chat").get_by_test_id("chat-message")
    expect(messages).to_have_text([re.compile(re.escape(question)),
                                   re.compile(re.escape(follow_up)),
                                   re.compile(re.escape(answer))])
