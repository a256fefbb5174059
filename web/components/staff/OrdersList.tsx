"use client";
/** Everyone's orders, newest first, filtered by status and paged by `next_before_id`. Kept
 * live: /ws/orders with {"action": "watch_all"} (staff) refetches when any order changes. */
import Link from "next/link";
import { useInfiniteQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { FormError } from "@/components/ui/field";
import { Label } from "@/components/ui/label";
import { LiveBadge } from "@/components/LiveIndicator";
import { formatMoney, orderStatusLabel } from "@/lib/format";
import { useLiveSocket } from "@/lib/live";
import { staff } from "@/lib/staff/api";
import { errorText } from "@/lib/staff/figures";
import { ORDER_STATUSES, type Order, type OrderStatus } from "@/lib/staff/types";
import { StaffHeading } from "./StaffShell";

export function statusTone(status: string): "default" | "success" | "warning" | "danger" | "info" {
  if (status === "paid" || status === "delivered") return "success";
  if (status === "fulfilled" || status === "shipped") return "info";
  if (status === "payment_failed" || status === "cancelled" || status === "refunded") return "danger";
  return "warning";
}

export function OrdersList() {
  const [status, setStatus] = useState<OrderStatus | "">("");
  const queryClient = useQueryClient();
  const orders = useInfiniteQuery({
    queryKey: ["staff", "orders", status],
    queryFn: ({ pageParam }) => staff.listOrders({ status, before_id: pageParam, limit: 25 }),
    initialPageParam: null as number | null,
    getNextPageParam: (last) => last.next_before_id,
  });
  const { state } = useLiveSocket("/ws/orders", {
    onReady: (socket) => socket.send({ action: "watch_all" }),
    onMessage: (m) => {
      if (m.type.startsWith("order.")) void queryClient.invalidateQueries({ queryKey: ["staff", "orders"] });
    },
  });
  const items: Order[] = orders.data?.pages.flatMap((p) => p.items) ?? [];

  return (
    <div>
      <StaffHeading title="Orders">
        <LiveBadge state={state} />
      </StaffHeading>
      <div className="mb-4 flex items-end gap-2">
        <div className="space-y-1">
          <Label htmlFor="order-status-filter">Status</Label>
          <select
            id="order-status-filter"
            className="h-10 rounded-md border border-stone-300 bg-white px-2 text-sm"
            value={status}
            onChange={(e) => setStatus(e.target.value as OrderStatus | "")}
          >
            <option value="">All</option>
            {ORDER_STATUSES.map((s) => (
              <option key={s} value={s}>
                {orderStatusLabel(s)}
              </option>
            ))}
          </select>
        </div>
      </div>
      <FormError message={orders.error ? errorText(orders.error) : null} />
      {orders.isPending ? <p role="status">Loading orders…</p> : null}
      {!orders.isPending && items.length === 0 ? <p>No orders{status ? ` with status ${orderStatusLabel(status)}` : ""}.</p> : null}

      {/* phone: one card per order */}
      <ul className="space-y-2 md:hidden" aria-label="Orders">
        {items.map((o) => (
          <li key={o.id}>
            <Link href={`/staff/order/?id=${o.id}`} className="block rounded-lg border border-stone-200 bg-white p-3 shadow-sm">
              <div className="flex items-center justify-between">
                <span className="font-medium">{o.order_ref}</span>
                <Badge variant={statusTone(o.status)}>{orderStatusLabel(o.status)}</Badge>
              </div>
              <div className="mt-1 flex justify-between text-sm text-stone-600">
                <span>{new Date(o.created_at).toLocaleString()}</span>
                <span>{formatMoney(o.total_amount, o.currency)}</span>
              </div>
            </Link>
          </li>
        ))}
      </ul>

      {/* desktop: a table */}
      <table className="hidden w-full text-sm md:table" data-testid="orders-table">
        <caption className="sr-only">Orders, newest first</caption>
        <thead>
          <tr className="border-b border-stone-200 text-left text-stone-500">
            <th scope="col" className="py-2 font-normal">Order</th>
            <th scope="col" className="py-2 font-normal">Placed</th>
            <th scope="col" className="py-2 font-normal">Customer</th>
            <th scope="col" className="py-2 font-normal">Items</th>
            <th scope="col" className="py-2 text-right font-normal">Total</th>
            <th scope="col" className="py-2 pl-4 font-normal">Status</th>
          </tr>
        </thead>
        <tbody>
          {items.map((o) => (
            <tr key={o.id} className="border-b border-stone-100 hover:bg-stone-50" data-testid="order-row">
              <td className="py-2">
                <Link href={`/staff/order/?id=${o.id}`} className="font-medium text-brand hover:underline">
                  {o.order_ref}
                </Link>
              </td>
              <td className="py-2">{new Date(o.created_at).toLocaleString()}</td>
              <td className="py-2">#{o.user_id}</td>
              <td className="py-2 tabular-nums">{o.total_quantity}</td>
              <td className="py-2 text-right tabular-nums">{formatMoney(o.total_amount, o.currency)}</td>
              <td className="py-2 pl-4">
                <Badge variant={statusTone(o.status)}>{orderStatusLabel(o.status)}</Badge>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {orders.hasNextPage ? (
        <Button variant="outline" className="mt-4" onClick={() => void orders.fetchNextPage()} disabled={orders.isFetchingNextPage}>
          {orders.isFetchingNextPage ? "Loading…" : "Older orders"}
        </Button>
      ) : null}
    </div>
  );
}
