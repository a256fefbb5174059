"use client";
/** My orders, newest first (statuses refresh live from /ws/orders). */
import Link from "next/link";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { api } from "@/lib/api";
import { useAuth } from "@/lib/auth";
import { formatMoney, orderStatusLabel } from "@/lib/format";
import { useLiveSocket } from "@/lib/live";
import { keys, type Order } from "@/lib/shop";
import { Badge } from "@/components/ui/badge";

export default function OrdersPage() {
  const { user, ready } = useAuth();
  const qc = useQueryClient();
  const orders = useQuery({ queryKey: keys.orders, queryFn: () => api<{ items: Order[] }>("/api/orders?limit=20"), enabled: !!user });
  useLiveSocket(user ? "/ws/orders" : null, { onMessage: () => void qc.invalidateQueries({ queryKey: keys.orders }) });
  if (!ready) return <p>Loading…</p>;
  if (!user)
    return (
      <p>
        <Link href="/signin/?next=/orders/" className="text-brand underline">
          Sign in
        </Link>{" "}
        to see your orders.
      </p>
    );
  const items = orders.data?.items ?? [];
  return (
    <div className="space-y-4">
      <h1 className="text-2xl font-semibold">Your orders</h1>
      {orders.isLoading ? <p>Loading…</p> : null}
      {!orders.isLoading && !items.length ? <p>No orders yet.</p> : null}
      <ul className="space-y-2">
        {items.map((o) => (
          <li key={o.id}>
            <Link href={`/order/?id=${o.id}`} className="flex items-center justify-between rounded-lg border border-stone-200 bg-white p-3 hover:bg-stone-50">
              <span>
                <span className="font-medium">{o.order_ref}</span> <span className="text-sm text-stone-500">{o.created_at?.slice(0, 10)}</span>
              </span>
              <span className="flex items-center gap-3">
                <Badge>{orderStatusLabel(o.status)}</Badge>
                <span className="font-semibold">{formatMoney(o.total_amount, o.currency)}</span>
              </span>
            </Link>
          </li>
        ))}
      </ul>
    </div>
  );
}
