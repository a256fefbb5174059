import { describe, expect, it } from "vitest";
import { ApiError, errorFromBody, fieldMessageIn } from "./api";
import { orderBody, SubmitKeys, validateCheckout, type Address } from "./checkout";
import { formatMoney, paymentFailureMessage, positiveIntParam, stockLabel } from "./format";
import { backoffDelay } from "./realtime";

describe("errorFromBody", () => {
  it("keeps the gateway's code, message and details", () => {
    const e = errorFromBody(422, { error: { code: "insufficient_stock", message: "Only 0 available.", details: { available: 0 } } });
    expect(e).toBeInstanceOf(ApiError);
    expect([e.status, e.code, e.message, e.details.available]).toEqual([422, "insufficient_stock", "Only 0 available.", 0]);
  });
  it("makes a generic error of a body that is not ours", () => {
    const e = errorFromBody(502, null);
    expect(e.code).toBe("http_502");
  });
});

describe("fieldMessageIn", () => {
  it("reads flat and nested field errors", () => {
    expect(fieldMessageIn({ phone: ["Required."] }, "phone")).toBe("Required.");
    expect(fieldMessageIn({ shipping_address: { phone: ["Missing data."] } }, "shipping_address.phone")).toBe("Missing data.");
    expect(fieldMessageIn({ shipping_address: { phone: ["x"] } }, "shipping_address")).toBeUndefined();
    expect(fieldMessageIn(undefined, "phone")).toBeUndefined();
  });
});

describe("backoffDelay", () => {
  it("doubles from 0.5 s and stops at the cap", () => {
    expect([0, 1, 2, 3].map((n) => backoffDelay(n))).toEqual([500, 1000, 2000, 4000]);
    expect(backoffDelay(50)).toBe(10_000);
    expect(backoffDelay(-3)).toBe(500);
  });
});

describe("SubmitKeys", () => {
  it("reuses the key for a retry of the same body and makes a new one otherwise", () => {
    let n = 0;
    const keys = new SubmitKeys(() => `k${++n}`);
    const first = keys.keyFor({ a: 1 });
    expect(keys.keyFor({ a: 1 })).toBe(first);
    expect(keys.keyFor({ a: 2 })).not.toBe(first);
    const again = keys.keyFor({ a: 2 });
    keys.settled();
    expect(keys.keyFor({ a: 2 })).not.toBe(again);
  });
});

const ADDRESS: Address = { full_name: "Asha Rao", line1: "12 MG Road", line2: "", city: "Bengaluru", state: "Karnataka", postal_code: "560001", country: "in", phone: "+91 98765 43210" };

describe("checkout form", () => {
  it("names every missing or malformed field", () => {
    const errors = validateCheckout({ ...ADDRESS, city: " ", country: "India" }, { number: "4242", exp: "13/30", cvc: "1", holder: "" });
    expect(Object.keys(errors).sort()).toEqual(["card_cvc", "card_exp", "card_number", "city", "country"]);
  });
  it("builds the gateway's order body", () => {
    const body = orderBody(ADDRESS, { number: "4242 4242 4242 4242", exp: "12/31", cvc: "123", holder: "" });
    expect(body.payment_method.card).toEqual({ number: "4242424242424242", exp_month: 12, exp_year: 2031, cvc: "123", holder: "Asha Rao" });
    expect(body.shipping_address.country).toBe("IN");
    expect("line2" in body.shipping_address).toBe(false);
  });
});

describe("format", () => {
  it("shows minor units as rupees and stock as words", () => {
    expect(formatMoney(149900, "INR")).toBe("₹1,499.00");
    expect(formatMoney(null)).toBe("—");
    expect([stockLabel(0), stockLabel(1), stockLabel(9)]).toEqual(["Out of stock", "Only 1 left", "9 in stock"]);
    expect(paymentFailureMessage("card_declined")).toMatch(/declined/);
    expect([positiveIntParam("12"), positiveIntParam("0"), positiveIntParam("1e3"), positiveIntParam(null)]).toEqual([12, null, null, null]);
  });
});
