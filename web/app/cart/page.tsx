"use client";
/** The cart (guest or signed in): lines priced by the gateway now, live availability warnings. */
import Link from "next/link";
import { useQueryClient } from "@tanstack/react-query";
import { ApiError } from "@/lib/api";
import { useAuth } from "@/lib/auth";
import { formatMoney } from "@/lib/format";
import { useLiveFeed } from "@/lib/live";
import { keys, lineProblem, useCart, useCartMutation } from "@/lib/shop";
import { Button } from "@/components/ui/button";
import { FormError } from "@/components/ui/field";

export default function CartPage() {
  const qc = useQueryClient();
  const { user } = useAuth();
  const cart = useCart();
  const change = useCartMutation();
  const productIds = new Set((cart.data?.lines ?? []).map((l) => l.product_id));
  useLiveFeed(
    "/sse/product-updates",
    ["product.inventory.updated", "product.updated"],
    (e) => {
      const pid = (e.data as { product_id?: number }).product_id;
      if (pid && productIds.has(pid)) void qc.invalidateQueries({ queryKey: keys.cart });
    },
    () => void qc.invalidateQueries({ queryKey: keys.cart }),
  );

  if (cart.isLoading) return <p>Loading your cart…</p>;
  if (cart.error) return <FormError message={cart.error instanceof ApiError ? cart.error.message : "Could not load the cart."} />;
  const c = cart.data!;
  if (!c.lines.length)
    return (
      <div className="space-y-3">
        <h1 className="text-2xl font-semibold">Your cart</h1>
        <p data-testid="cart-empty">Your cart is empty.</p>
        <Link href="/catalog/" className="text-brand underline">
          Continue shopping
        </Link>
      </div>
    );
  return (
    <div className="grid gap-6 md:grid-cols-[1fr_300px]">
      <section aria-labelledby="cart-title" className="space-y-3">
        <h1 id="cart-title" className="text-2xl font-semibold">
          Your cart
        </h1>
        {change.error ? <FormError message={change.error.message} /> : null}
        <ul className="space-y-3">
          {c.lines.map((l) => {
            const problem = lineProblem(l);
            return (
              <li key={l.variant_id} data-testid="cart-line" data-variant={l.variant_id} className="flex flex-wrap items-center gap-3 rounded-lg border border-stone-200 bg-white p-3">
                <div className="min-w-0 flex-1">
                  <Link href={`/product/?id=${l.product_id}`} className="font-medium hover:underline">
                    {l.name ?? `Item ${l.variant_id}`}
                  </Link>
                  <p className="text-sm text-stone-600">
                    {[l.size, l.colour].filter(Boolean).join(" · ")} · {formatMoney(l.unit_price, l.currency ?? undefined)}
                  </p>
                  {problem ? (
                    <p role="alert" data-testid="line-problem" className="text-sm text-red-700">
                      {problem === "insufficient stock" ? `Only ${l.available_quantity} left` : problem}
                    </p>
                  ) : l.availability === "low_stock" ? (
                    <p className="text-sm text-amber-800">Only {l.available_quantity} left</p>
                  ) : null}
                </div>
                <label className="text-sm">
                  <span className="sr-only">Quantity of {l.name}</span>
                  <select
                    value={l.quantity}
                    onChange={(e) => change.mutate({ variantId: l.variant_id, quantity: Number(e.target.value), mode: "set" })}
                    className="h-9 rounded-md border border-stone-300 bg-white px-2"
                  >
                    {Array.from({ length: Math.max(10, l.quantity) }, (_, i) => i + 1).map((n) => (
                      <option key={n}>{n}</option>
                    ))}
                  </select>
                </label>
                <p className="w-24 text-right font-semibold">{formatMoney(l.line_total, l.currency ?? undefined)}</p>
                <Button variant="ghost" size="sm" onClick={() => change.mutate({ variantId: l.variant_id, quantity: 0, mode: "remove" })}>
                  Remove
                </Button>
              </li>
            );
          })}
        </ul>
      </section>
      <aside className="h-fit space-y-3 rounded-lg border border-stone-200 bg-white p-4">
        <p className="flex justify-between">
          <span>Items</span> <span data-testid="cart-quantity">{c.total_quantity}</span>
        </p>
        <p className="flex justify-between text-lg font-semibold">
          <span>Subtotal</span> <span data-testid="cart-subtotal">{formatMoney(c.subtotal, c.currency ?? undefined)}</span>
        </p>
        {!c.checkout_ready ? <p className="text-sm text-red-700">Fix the items marked above to check out.</p> : null}
        {user ? (
          <Button asChild className="w-full" aria-disabled={!c.checkout_ready}>
            <Link href="/checkout/" data-testid="go-checkout">
              Checkout
            </Link>
          </Button>
        ) : (
          <div className="space-y-2">
            <Button asChild className="w-full">
              <Link href="/signup/?next=/checkout/" data-testid="signup-to-checkout">
                Sign up to check out
              </Link>
            </Button>
            <p className="text-center text-sm">
              or{" "}
              <Link className="text-brand underline" href="/signin/?next=/checkout/">
                sign in
              </Link>{" "}
              — your cart comes with you.
            </p>
          </div>
        )}
      </aside>
    </div>
  );
}
