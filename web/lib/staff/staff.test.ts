import { describe, expect, it } from "vitest";
import { conversationOf, mergeMessages, messageOf, upsertConversation } from "./chat";
import { liveCounts, toMinor } from "./figures";
import { changedTerms, emptyForm, formOf, termsOf } from "./promotions";
import type { ChatMessage, Conversation, Promotion } from "./types";

const msg = (id: number, body = `m${id}`): ChatMessage => ({
  id, conversation_id: 7, sender_id: 1, body, created_at: "2026-12-03T12:00:00Z",
});
const conv = (id: number, status: Conversation["status"] = "open"): Conversation => ({
  id, customer_id: 1, agent_id: null, status, created_at: "", updated_at: "",
});

describe("chat bookkeeping", () => {
  it("keeps each message once, oldest first, whichever way it arrived", () => {
    const merged = mergeMessages([msg(3), msg(1)], [msg(2), msg(3, "again")]);
    expect(merged.map((m) => m.id)).toEqual([1, 2, 3]);
    expect(merged[2].body).toBe("again");
  });

  it("reads chat.message and conversation events as the gateway sends them", () => {
    expect(messageOf({ type: "chat.message", data: { ...msg(5) } })?.id).toBe(5);
    expect(messageOf({ type: "typing", conversation_id: 7 })).toBeNull();
    const assigned = conversationOf({ type: "chat.assigned", data: { conversation_id: 9, id: 9, customer_id: 4, agent_id: 2, status: "assigned" } });
    expect(assigned).toMatchObject({ id: 9, agent_id: 2, status: "assigned" });
    expect(conversationOf({ type: "chat.conversation_closed", data: { conversation_id: 9 } })?.status).toBe("closed");
  });

  it("puts a changed conversation first and drops closed ones", () => {
    expect(upsertConversation([conv(1), conv(2)], conv(2)).map((c) => c.id)).toEqual([2, 1]);
    expect(upsertConversation([conv(1), conv(2)], conv(1, "closed")).map((c) => c.id)).toEqual([2]);
  });
});

describe("figures", () => {
  it("turns typed amounts into minor units and refuses what is not one", () => {
    expect(toMinor("250.50")).toBe(25050);
    expect(toMinor("1,299")).toBe(129900);
    expect(toMinor("12.345")).toBeNaN();
    expect(toMinor("-3")).toBeNaN();
  });

  it("sums the live counts by event type over the minutes shown", () => {
    const counts = liveCounts({
      type: "analytics", counting_since: "2026-12-03T12:00:00+00:00",
      minutes: [
        { minute: "2026-12-03T12:00Z", orders: 1, events: 4, by_type: { "order.created": 1, "product.viewed": 3 } },
        { minute: "2026-12-03T12:01Z", orders: 2, events: 3, by_type: { "order.created": 2, "order.payment.completed": 1 } },
      ],
    });
    expect(counts.window).toMatchObject({ orders: 3, sales: 1, views: 3, events: 7 });
    expect(counts.thisMinute).toMatchObject({ orders: 2, sales: 1, events: 3 });
  });
});

describe("promotion form", () => {
  it("checks the rules between fields before sending", () => {
    const form = { ...emptyForm(new Date("2026-12-03T10:00:00Z")), kind: "amount" as const, value: "abc", scope: "category" as const, category: "Bad Slug" };
    const { problems } = termsOf(form);
    expect(Object.keys(problems).sort()).toEqual(["category", "discount_amount", "title"]);
  });

  it("sends only what changed when editing (a live start never moves)", () => {
    const p: Promotion = {
      id: 1, title: "Diwali", description: null, code: "DIWALI", discount_percent: 10, discount_amount: null,
      currency: null, starts_at: "2026-12-01T00:00:00+00:00", ends_at: "2026-12-10T00:00:00+00:00",
      product_ids: null, category: null, status: "live", ended_at: null, created_at: "", updated_at: "",
    };
    const before = termsOf(formOf(p)).terms;
    const after = termsOf({ ...formOf(p), value: "20" }).terms;
    expect(changedTerms(before, after)).toEqual({ discount_percent: 20 });
  });
});
