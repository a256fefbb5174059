"use client";
/**
 * Order tracking (/order/?id=7): the order as the gateway has it, refreshed live whenever
 * /ws/orders tells of a status, payment or tracking event of this order (no reload).
 */
import Link from "next/link";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useSearchParams } from "next/navigation";
import { Suspense } from "react";
import { api, ApiError } from "@/lib/api";
import { useAuth } from "@/lib/auth";
import { formatMoney, orderStatusLabel, paymentFailureMessage, positiveIntParam } from "@/lib/format";
import { useLiveSocket } from "@/lib/live";
import { keys, type Order } from "@/lib/shop";
import { LiveBadge } from "@/components/LiveIndicator";
import { Badge } from "@/components/ui/badge";
import { FormError } from "@/components/ui/field";

const STEPS = ["payment_pending", "paid", "fulfilled", "shipped", "delivered"];
type Tracking = { updates?: { carrier?: string; tracking_number?: string; current_location?: string; note?: string; at?: string }[] };

function OrderView({ id }: { id: number }) {
  const qc = useQueryClient();
  const order = useQuery({ queryKey: keys.order(id), queryFn: () => api<Order>(`/api/orders/${id}`) });
  const tracking = useQuery({
    queryKey: ["tracking", id],
    queryFn: () => api<Tracking>(`/api/orders/${id}/tracking`),
    enabled: !!order.data && ["shipped", "delivered"].includes(order.data.status),
    retry: false,
  });
  const { state } = useLiveSocket("/ws/orders", {
    onMessage: (m) => {
      if ((m.data as { order_id?: number } | undefined)?.order_id === id) {
        void qc.invalidateQueries({ queryKey: keys.order(id) });
        void qc.invalidateQueries({ queryKey: ["tracking", id] });
      }
    },
    // After a reconnect, ask again: an event may have passed while the socket was down.
    onReady: () => void qc.invalidateQueries({ queryKey: keys.order(id) }),
  });

  if (order.isLoading) return <p>Loading your order…</p>;
  if (order.error) return <FormError message={order.error instanceof ApiError ? order.error.message : "Could not load the order."} />;
  const o = order.data!;
  const failed = o.status === "payment_failed";
  const step = STEPS.indexOf(o.status);
  const tone = failed || o.status === "cancelled" ? "danger" : o.status === "payment_pending" || o.status === "pending" ? "warning" : "success";
  return (
    <div className="mx-auto max-w-3xl space-y-6">
      <div className="flex flex-wrap items-center justify-between gap-2">
        <h1 className="break-all text-2xl font-semibold">Order {o.order_ref}</h1>
        <LiveBadge state={state} label="Live tracking" />
      </div>
      <p aria-live="polite" className="flex items-center gap-2">
        Status:{" "}
        <Badge variant={tone} data-testid="order-status" data-status={o.status}>
          {orderStatusLabel(o.status)}
        </Badge>
      </p>
      {failed ? (
        <div role="alert" data-testid="payment-failure" className="space-y-2 rounded-lg border border-red-200 bg-red-50 p-4 text-red-900">
          <p className="font-medium">{paymentFailureMessage(o.payment?.failure_code ?? o.status_reason)}</p>
          <p className="text-sm">
            Your items are back in stock for everyone and still in your{" "}
            <Link href="/cart/" className="underline">
              cart
            </Link>
            .
          </p>
        </div>
      ) : null}
      {step >= 0 ? (
        <ol className="grid grid-cols-5 gap-1 text-center text-xs" aria-label="Progress">
          {STEPS.map((s, i) => (
            <li key={s} aria-current={i === step ? "step" : undefined} className={`rounded px-1 py-2 ${i <= step ? "bg-green-100 text-green-900" : "bg-stone-100 text-stone-500"}`}>
              {orderStatusLabel(s)}
            </li>
          ))}
        </ol>
      ) : null}
      <section className="rounded-lg border border-stone-200 bg-white p-4">
        <h2 className="mb-2 font-semibold">Items</h2>
        <ul className="space-y-1 text-sm">
          {o.items.map((it) => (
            <li key={it.variant_id} className="flex justify-between">
              <span>
                {it.quantity} × {String(it.name ?? it.product_name ?? it.sku ?? `Item ${it.variant_id}`)}
              </span>
              <span>{formatMoney(it.line_total as number | undefined, o.currency)}</span>
            </li>
          ))}
        </ul>
        <p className="mt-2 flex justify-between font-semibold">
          <span>Total</span> <span data-testid="order-total">{formatMoney(o.total_amount, o.currency)}</span>
        </p>
      </section>
      {o.shipping_address ? (
        <section className="text-sm text-stone-700">
          <h2 className="font-semibold text-stone-900">Delivering to</h2>
          <p>{[o.shipping_address.full_name, o.shipping_address.line1, o.shipping_address.line2, o.shipping_address.city, o.shipping_address.state, o.shipping_address.postal_code].filter(Boolean).join(", ")}</p>
        </section>
      ) : null}
      {tracking.data?.updates?.length ? (
        <section className="text-sm">
          <h2 className="font-semibold">Tracking</h2>
          <ul>
            {tracking.data.updates.map((u, i) => (
              <li key={i}>
                {u.at?.slice(0, 16).replace("T", " ")} — {u.current_location ?? u.note} {u.carrier ? `(${u.carrier} ${u.tracking_number ?? ""})` : ""}
              </li>
            ))}
          </ul>
        </section>
      ) : null}
    </div>
  );
}

function OrderPageInner() {
  const { user, ready } = useAuth();
  const id = positiveIntParam(useSearchParams().get("id"));
  if (!id) return <FormError message="No such order." />;
  if (!ready) return <p>Loading…</p>;
  if (!user)
    return (
      <p>
        <Link href={`/signin/?next=${encodeURIComponent(`/order/?id=${id}`)}`} className="text-brand underline">
          Sign in
        </Link>{" "}
        to see this order.
      </p>
    );
  return <OrderView key={id} id={id} />;
}

export default function OrderPage() {
  return (
    <Suspense>
      <OrderPageInner />
    </Suspense>
  );
}
