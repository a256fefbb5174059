"use client";
/**
 * Checkout: address and card (sandbox test cards listed), validated before sending, submitted
 * once with an Idempotency-Key (a retry of the same submit reuses it). Out of stock and card
 * errors come back from the gateway and are shown as it words them.
 */
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useRef, useState, type FormEvent } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { api, ApiError, newIdempotencyKey } from "@/lib/api";
import { useAuth } from "@/lib/auth";
import { ADDRESS_FIELDS, orderBody, SubmitKeys, TEST_CARDS, validateCheckout, type Address, type FieldErrors } from "@/lib/checkout";
import { formatMoney } from "@/lib/format";
import { keys, useCart, type Order } from "@/lib/shop";
import { Button } from "@/components/ui/button";
import { Field, FormError } from "@/components/ui/field";

const LABELS: Record<string, string> = {
  full_name: "Full name",
  line1: "Address line 1",
  line2: "Address line 2 (optional)",
  city: "City",
  state: "State",
  postal_code: "PIN code",
  country: "Country code",
  phone: "Phone",
};

export default function CheckoutPage() {
  const { user, ready } = useAuth();
  const cart = useCart();
  const router = useRouter();
  const qc = useQueryClient();
  const submitKeys = useRef(new SubmitKeys(() => newIdempotencyKey("chk")));
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  if (!ready || cart.isLoading) return <p>Loading…</p>;
  if (!user)
    return (
      <p>
        <Link href="/signin/?next=/checkout/" className="text-brand underline">
          Sign in
        </Link>{" "}
        to check out.
      </p>
    );
  const c = cart.data;
  if (!c?.lines.length)
    return (
      <p>
        Your cart is empty. <Link href="/catalog/" className="text-brand underline">Shop</Link>
      </p>
    );

  const submit = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    if (busy) return;
    const data = new FormData(e.currentTarget);
    const address = Object.fromEntries(ADDRESS_FIELDS.map((f) => [f, String(data.get(f) ?? "")])) as Address;
    const card = {
      number: String(data.get("card_number") ?? ""),
      exp: String(data.get("card_exp") ?? ""),
      cvc: String(data.get("card_cvc") ?? ""),
      holder: String(data.get("card_holder") ?? ""),
    };
    const found = validateCheckout(address, card);
    setErrors(found);
    setFormError(null);
    if (Object.keys(found).length) return;
    const body = orderBody(address, card);
    setBusy(true);
    try {
      const order = await api<Order>("/api/orders", { method: "POST", body, idempotencyKey: submitKeys.current.keyFor(body) });
      submitKeys.current.settled();
      void qc.invalidateQueries({ queryKey: keys.cart });
      qc.setQueryData(keys.order(order.id), order);
      router.push(`/order/?id=${order.id}`);
    } catch (err) {
      if (err instanceof ApiError) {
        if (err.status >= 400 && err.status < 500) submitKeys.current.settled();
        const fieldErrors: FieldErrors = {};
        for (const f of [...ADDRESS_FIELDS]) {
          const m = err.fieldMessage(f) ?? err.fieldMessage(`shipping_address.${f}`);
          if (m) fieldErrors[f] = m;
        }
        for (const [field, id] of [["number", "card_number"], ["cvc", "card_cvc"], ["holder", "card_holder"], ["exp_month", "card_exp"], ["exp_year", "card_exp"]]) {
          const m = err.fieldMessage(`payment_method.card.${field}`);
          if (m) fieldErrors[id] = m;
        }
        setErrors(fieldErrors);
        setFormError(err.message);
        if (["insufficient_stock", "out_of_stock", "cart_not_ready"].includes(err.code)) void qc.invalidateQueries({ queryKey: keys.cart });
      } else setFormError("Something went wrong; your card was not charged. Please retry.");
    } finally {
      setBusy(false);
    }
  };

  return (
    <form noValidate onSubmit={submit} className="grid gap-6 md:grid-cols-[1fr_300px]" aria-labelledby="checkout-title">
      <div className="space-y-6">
        <h1 id="checkout-title" className="text-2xl font-semibold">
          Checkout
        </h1>
        <FormError testId="checkout-error" message={formError} />
        <fieldset className="grid gap-3 sm:grid-cols-2">
          <legend className="mb-2 text-lg font-semibold">Delivery address</legend>
          {ADDRESS_FIELDS.map((f) => (
            <Field
              key={f}
              id={f}
              label={LABELS[f]}
              error={errors[f]}
              defaultValue={f === "country" ? "IN" : f === "full_name" ? user.full_name : ""}
              autoComplete={{ full_name: "name", line1: "address-line1", line2: "address-line2", city: "address-level2", state: "address-level1", postal_code: "postal-code", country: "country", phone: "tel" }[f]}
            />
          ))}
        </fieldset>
        <fieldset className="grid gap-3 sm:grid-cols-2">
          <legend className="mb-2 text-lg font-semibold">Card</legend>
          <div className="sm:col-span-2">
            <Field id="card_number" label="Card number" inputMode="numeric" autoComplete="cc-number" error={errors.card_number} />
            <p className="mt-1 text-xs text-stone-500">
              Sandbox cards: {TEST_CARDS.map((t) => `${t.number} (${t.label.toLowerCase()})`).join(", ")}. Any future expiry and CVC.
            </p>
          </div>
          <Field id="card_exp" label="Expiry (MM/YY)" placeholder="12/31" autoComplete="cc-exp" error={errors.card_exp} />
          <Field id="card_cvc" label="CVC" inputMode="numeric" autoComplete="cc-csc" error={errors.card_cvc} />
          <div className="sm:col-span-2">
            <Field id="card_holder" label="Name on card" autoComplete="cc-name" error={errors.card_holder} />
          </div>
        </fieldset>
      </div>
      <aside className="h-fit space-y-3 rounded-lg border border-stone-200 bg-white p-4">
        <h2 className="font-semibold">Order summary</h2>
        <ul className="space-y-1 text-sm">
          {c.lines.map((l) => (
            <li key={l.variant_id} className="flex justify-between gap-2">
              <span>
                {l.quantity} × {l.name} {l.size ? `(${l.size})` : ""}
              </span>
              <span>{formatMoney(l.line_total, l.currency ?? undefined)}</span>
            </li>
          ))}
        </ul>
        <p className="flex justify-between text-lg font-semibold">
          <span>Total</span> <span>{formatMoney(c.subtotal, c.currency ?? undefined)}</span>
        </p>
        <Button type="submit" className="w-full" size="lg" disabled={busy} data-testid="place-order">
          {busy ? "Placing order…" : "Place order and pay"}
        </Button>
      </aside>
    </form>
  );
}
