"use client";
import { useSearchParams } from "next/navigation";
import { Suspense } from "react";
import { OrderDetail } from "@/components/staff/OrderDetail";
import { positiveIntParam } from "@/lib/format";

function OrderFromQuery() {
  const id = positiveIntParam(useSearchParams().get("id"));
  if (!id) return <p role="alert">No order given: open one from the orders list.</p>;
  return <OrderDetail key={id} orderId={id} />;
}

/** /staff/order/?id=5 (a static export: the id is in the query string). */
export default function StaffOrderPage() {
  return (
    <Suspense fallback={<p role="status">Loading…</p>}>
      <OrderFromQuery />
    </Suspense>
  );
}
