"use client";
/** One order for staff: lines, address, payment, history; move it along fulfilment (packed →
 * shipped with a tracking number → delivered) and refund all or part of its payment. Live:
 * /ws/orders watch_all refetches it when any event names this order. */
import Link from "next/link";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRef, useState, type FormEvent } from "react";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { Field, FormError } from "@/components/ui/field";
import { LiveBadge } from "@/components/LiveIndicator";
import { newIdempotencyKey } from "@/lib/api";
import { formatMoney, orderStatusLabel } from "@/lib/format";
import { useLiveSocket } from "@/lib/live";
import { staff } from "@/lib/staff/api";
import { errorText, fieldErrors, toMinor } from "@/lib/staff/figures";
import { NEXT_FULFILMENT, type Order } from "@/lib/staff/types";
import { statusTone } from "./OrdersList";
import { StaffHeading } from "./StaffShell";

const REFUNDABLE = new Set(["paid", "fulfilled", "shipped", "delivered"]);

export function OrderDetail({ orderId }: { orderId: number }) {
  const queryClient = useQueryClient();
  const key = ["staff", "order", orderId];
  const order = useQuery({ queryKey: key, queryFn: () => staff.getOrder(orderId) });
  const { state } = useLiveSocket("/ws/orders", {
    onReady: (socket) => socket.send({ action: "watch_all" }),
    onMessage: (m) => {
      const data = m.data as { order_id?: number } | undefined;
      if (m.type.startsWith("order.") && data?.order_id === orderId) void queryClient.invalidateQueries({ queryKey: key });
    },
  }, [orderId]);

  if (order.isPending) return <p role="status">Loading order…</p>;
  if (order.error) {
    return (
      <div className="space-y-2">
        <FormError message={errorText(order.error)} />
        <Link href="/staff/orders/" className="text-brand underline">
          Back to orders
        </Link>
      </div>
    );
  }
  const o = order.data;
  const refresh = (updated?: Order) => {
    if (updated) queryClient.setQueryData(key, updated);
    void queryClient.invalidateQueries({ queryKey: ["staff", "orders"] });
  };
  return (
    <div className="space-y-4">
      <StaffHeading title={`Order ${o.order_ref}`}>
        <Badge variant={statusTone(o.status)} data-testid="order-status">
          {orderStatusLabel(o.status)}
        </Badge>
        <LiveBadge state={state} />
      </StaffHeading>
      <Link href="/staff/orders/" className="text-sm text-brand underline">
        ← All orders
      </Link>
      <div className="grid gap-4 lg:grid-cols-3">
        <Card className="lg:col-span-2">
          <CardHeader>
            <CardTitle className="text-base">Items</CardTitle>
          </CardHeader>
          <CardContent>
            <ul className="divide-y divide-stone-100 text-sm">
              {o.items.map((i) => (
                <li key={i.variant_id} className="flex justify-between gap-2 py-2">
                  <span>
                    {i.name} <span className="text-stone-500">· {i.size} · {i.colour} · {i.sku}</span> × {i.quantity}
                  </span>
                  <span className="tabular-nums">{formatMoney(i.line_total, o.currency)}</span>
                </li>
              ))}
            </ul>
            <dl className="mt-2 grid grid-cols-2 gap-1 text-sm">
              <dt className="text-stone-500">Total</dt>
              <dd className="text-right font-semibold tabular-nums">{formatMoney(o.total_amount, o.currency)}</dd>
              <dt className="text-stone-500">Refunded</dt>
              <dd className="text-right tabular-nums" data-testid="order-refunded">
                {formatMoney(o.refunded_amount, o.currency)}
              </dd>
              <dt className="text-stone-500">Payment</dt>
              <dd className="text-right">{o.payment.status ?? "—"}{o.payment.failure_code ? ` (${o.payment.failure_code})` : ""}</dd>
              <dt className="text-stone-500">Customer</dt>
              <dd className="text-right">#{o.user_id}</dd>
            </dl>
          </CardContent>
        </Card>
        <Card>
          <CardHeader>
            <CardTitle className="text-base">Ship to</CardTitle>
          </CardHeader>
          <CardContent className="text-sm">
            {o.shipping_address ? (
              <address className="not-italic">
                {o.shipping_address.full_name}
                <br />
                {o.shipping_address.line1}
                {o.shipping_address.line2 ? <><br />{o.shipping_address.line2}</> : null}
                <br />
                {o.shipping_address.city} {o.shipping_address.postal_code}, {o.shipping_address.country}
              </address>
            ) : (
              "—"
            )}
          </CardContent>
        </Card>
      </div>
      <div className="grid gap-4 lg:grid-cols-2">
        <StatusForm order={o} onDone={refresh} />
        <RefundForm order={o} onDone={() => refresh()} />
      </div>
      {o.history?.length ? (
        <Card>
          <CardHeader>
            <CardTitle className="text-base">History</CardTitle>
          </CardHeader>
          <CardContent>
            <ol className="space-y-1 text-sm" data-testid="order-history">
              {o.history.map((h, n) => (
                <li key={n}>
                  <time dateTime={h.at}>{new Date(h.at).toLocaleString()}</time>: {h.old_status ? `${orderStatusLabel(h.old_status)} → ` : ""}
                  {orderStatusLabel(h.new_status)}
                  {h.reason ? <span className="text-stone-500"> ({h.reason})</span> : null}
                </li>
              ))}
            </ol>
          </CardContent>
        </Card>
      ) : null}
    </div>
  );
}

function StatusForm({ order, onDone }: { order: Order; onDone: (o: Order) => void }) {
  const next = NEXT_FULFILMENT[order.status];
  const [carrier, setCarrier] = useState("");
  const [tracking, setTracking] = useState("");
  const [note, setNote] = useState("");
  const [local, setLocal] = useState<Record<string, string>>({});
  const change = useMutation({
    mutationFn: () =>
      staff.changeStatus(order.id, next!, next === "shipped" ? { carrier: carrier.trim(), tracking_number: tracking.trim() } : undefined, note.trim() || undefined),
    onSuccess: (o) => {
      setCarrier("");
      setTracking("");
      setNote("");
      onDone(o);
    },
  });
  if (!next) {
    return (
      <Card>
        <CardHeader>
          <CardTitle className="text-base">Fulfilment</CardTitle>
        </CardHeader>
        <CardContent className="text-sm text-stone-600">Nothing to move by hand in status {orderStatusLabel(order.status)}.</CardContent>
      </Card>
    );
  }
  const server = fieldErrors(change.error);
  function submit(e: FormEvent) {
    e.preventDefault();
    const problems: Record<string, string> = {};
    if (next === "shipped") {
      if (!carrier.trim()) problems.carrier = "Name the carrier.";
      if (!tracking.trim()) problems.tracking_number = "Enter the tracking number.";
    }
    setLocal(problems);
    if (Object.keys(problems).length === 0) change.mutate();
  }
  const label = { fulfilled: "Mark packed", shipped: "Mark shipped", delivered: "Mark delivered" }[next];
  return (
    <Card>
      <CardHeader>
        <CardTitle className="text-base">Fulfilment</CardTitle>
      </CardHeader>
      <CardContent>
        <form onSubmit={submit} className="space-y-3" noValidate aria-label="Change status">
          {next === "shipped" ? (
            <>
              <Field id="ship-carrier" label="Carrier" value={carrier} onChange={(e) => setCarrier(e.target.value)}
                error={local.carrier ?? server["tracking.carrier"] ?? server.carrier} maxLength={60} />
              <Field id="ship-tracking" label="Tracking number" value={tracking} onChange={(e) => setTracking(e.target.value)}
                error={local.tracking_number ?? server["tracking.tracking_number"] ?? server.tracking_number} />
            </>
          ) : null}
          <Field id="status-note" label="Note (optional)" value={note} onChange={(e) => setNote(e.target.value)} error={server.note} maxLength={500} />
          <FormError message={change.error && Object.keys(server).length === 0 ? errorText(change.error) : null} testId="status-error" />
          <Button type="submit" disabled={change.isPending} data-testid="status-submit">
            {change.isPending ? "Saving…" : label}
          </Button>
        </form>
      </CardContent>
    </Card>
  );
}

function RefundForm({ order, onDone }: { order: Order; onDone: () => void }) {
  const [amount, setAmount] = useState("");
  const [reason, setReason] = useState("");
  const [local, setLocal] = useState<string | null>(null);
  const [done, setDone] = useState<string | null>(null);
  // One key per refund the clerk means: a retry after a timeout reuses it (never two refunds).
  const keyRef = useRef<string>(newIdempotencyKey("refund"));
  const paymentId = order.payment.payment_id;
  const left = order.total_amount - order.refunded_amount;
  const refund = useMutation({
    mutationFn: (minor: number | undefined) => staff.refund(paymentId!, keyRef.current, minor, reason.trim() || undefined),
    onSuccess: (r) => {
      keyRef.current = newIdempotencyKey("refund");
      setAmount("");
      setReason("");
      setDone(`Refund of ${formatMoney(r.amount, r.currency)} ${r.status === "processed" ? "done" : r.status === "pending" ? "sent to the card provider" : r.status}.`);
      onDone();
    },
  });
  if (!paymentId || !REFUNDABLE.has(order.status) || left <= 0) {
    return (
      <Card>
        <CardHeader>
          <CardTitle className="text-base">Refund</CardTitle>
        </CardHeader>
        <CardContent className="text-sm text-stone-600">
          {left <= 0 && order.refunded_amount > 0 ? "Fully refunded." : "Nothing to refund for this order."}
          {done ? <p role="status">{done}</p> : null}
        </CardContent>
      </Card>
    );
  }
  const server = fieldErrors(refund.error);
  function submit(e: FormEvent) {
    e.preventDefault();
    setDone(null);
    let minor: number | undefined;
    if (amount.trim()) {
      minor = toMinor(amount);
      if (Number.isNaN(minor) || minor <= 0) return setLocal("Enter an amount like 250 or 250.50, or leave it empty to refund all.");
      if (minor > left) return setLocal(`At most ${formatMoney(left, order.currency)} is left to refund.`);
    }
    setLocal(null);
    refund.mutate(minor);
  }
  return (
    <Card>
      <CardHeader>
        <CardTitle className="text-base">Refund</CardTitle>
      </CardHeader>
      <CardContent>
        <form onSubmit={submit} className="space-y-3" noValidate aria-label="Refund">
          <Field id="refund-amount" label={`Amount in ${order.currency} (empty: all ${formatMoney(left, order.currency)})`} inputMode="decimal"
            value={amount} onChange={(e) => setAmount(e.target.value)} error={local ?? server.amount} />
          <Field id="refund-reason" label="Reason (optional)" value={reason} onChange={(e) => setReason(e.target.value)} error={server.reason} maxLength={200} />
          <FormError message={refund.error && !server.amount && !server.reason ? errorText(refund.error) : null} testId="refund-error" />
          {done ? <p role="status" className="text-sm text-green-800" data-testid="refund-done">{done}</p> : null}
          <Button type="submit" variant="destructive" disabled={refund.isPending} data-testid="refund-submit">
            {refund.isPending ? "Refunding…" : "Refund"}
          </Button>
        </form>
      </CardContent>
    </Card>
  );
}
