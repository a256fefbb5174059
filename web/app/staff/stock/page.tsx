"use client";
import { useSearchParams } from "next/navigation";
import { Suspense } from "react";
import { StockEditor } from "@/components/staff/StockEditor";
import { positiveIntParam } from "@/lib/format";

function FromQuery() {
  const productId = positiveIntParam(useSearchParams().get("product"));
  return <StockEditor key={productId ?? 0} productId={productId} />;
}

/** /staff/stock/ lists products; /staff/stock/?product=12 edits its variants. */
export default function StaffStockPage() {
  return (
    <Suspense fallback={<p role="status">Loading…</p>}>
      <FromQuery />
    </Suspense>
  );
}
