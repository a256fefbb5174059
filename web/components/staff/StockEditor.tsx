"use client";
/** Stock and prices: find a product, then per variant set the shelf count (PUT …/stock, with a
 * reason for the audit trail), book a delivery or write-off (…/stock-adjustments), or set its
 * own price (PATCH /api/variants/{id}; empty: the product's price). Reads skip the gateway's
 * page cache (Cache-Control: no-cache) so a clerk sees the count they just saved. */
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { Field, FormError } from "@/components/ui/field";
import { formatMoney, stockLabel } from "@/lib/format";
import { staff } from "@/lib/staff/api";
import { errorText, fieldErrors, toMinor } from "@/lib/staff/figures";
import type { ProductDetail, Variant } from "@/lib/staff/types";
import { StaffHeading } from "./StaffShell";

export function StockEditor({ productId }: { productId: number | null }) {
  return (
    <div>
      <StaffHeading title="Stock & prices" />
      {productId ? <ProductVariants productId={productId} /> : <ProductPicker />}
    </div>
  );
}

function ProductPicker() {
  const [text, setText] = useState("");
  const [q, setQ] = useState("");
  const router = useRouter();
  const products = useQuery({ queryKey: ["staff", "products", q], queryFn: () => staff.listProducts(q) });
  return (
    <div className="space-y-4">
      <form
        role="search"
        className="flex items-end gap-2"
        onSubmit={(e) => {
          e.preventDefault();
          setQ(text.trim());
        }}
      >
        <div className="flex-1">
          <Field id="stock-search" label="Find a product" value={text} onChange={(e) => setText(e.target.value)} placeholder="Name, e.g. kurta" />
        </div>
        <Button type="submit">Search</Button>
      </form>
      <FormError message={products.error ? errorText(products.error) : null} />
      {products.isPending ? <p role="status">Loading products…</p> : null}
      <ul className="divide-y divide-stone-100 rounded-lg border border-stone-200 bg-white" aria-label="Products">
        {products.data?.items.map((p) => (
          <li key={p.id}>
            <button
              type="button"
              className="flex w-full items-center justify-between gap-2 px-3 py-2 text-left hover:bg-stone-50"
              onClick={() => router.push(`/staff/stock/?product=${p.id}`)}
            >
              <span>
                <span className="font-medium">{p.name}</span> <span className="text-sm text-stone-500">· {p.brand.name}</span>
              </span>
              <span className="flex items-center gap-2 text-sm">
                {formatMoney(p.price, p.currency)}
                {!p.in_stock ? <Badge variant="danger">Out of stock</Badge> : null}
              </span>
            </button>
          </li>
        ))}
        {products.data && products.data.items.length === 0 ? <li className="px-3 py-2 text-sm">No products match.</li> : null}
      </ul>
    </div>
  );
}

function ProductVariants({ productId }: { productId: number }) {
  const key = ["staff", "product", productId];
  const product = useQuery({ queryKey: key, queryFn: () => staff.getProduct(productId) });
  if (product.isPending) return <p role="status">Loading product…</p>;
  if (product.error) return <FormError message={errorText(product.error)} />;
  const p = product.data;
  return (
    <div className="space-y-4">
      <Link href="/staff/stock/" className="text-sm text-brand underline">
        ← Other products
      </Link>
      <h2 className="text-xl font-semibold">
        {p.name} <span className="text-base font-normal text-stone-500">· product price {formatMoney(p.price, p.currency)}</span>
      </h2>
      <div className="grid gap-4 lg:grid-cols-2">
        {p.variants.map((v) => (
          <VariantCard key={v.id} product={p} variant={v} />
        ))}
      </div>
    </div>
  );
}

function VariantCard({ product, variant }: { product: ProductDetail; variant: Variant }) {
  const queryClient = useQueryClient();
  const refresh = () => queryClient.invalidateQueries({ queryKey: ["staff", "product", product.id] });
  const [count, setCount] = useState(String(variant.inventory_count));
  const [reason, setReason] = useState("");
  const [price, setPrice] = useState(variant.price_override !== null ? (variant.price_override / 100).toFixed(2) : "");
  const [local, setLocal] = useState<Record<string, string>>({});
  const [saved, setSaved] = useState<string | null>(null);
  const id = `v${variant.id}`;

  const stock = useMutation({
    mutationFn: (quantity: number) => staff.setStock(variant.id, quantity, reason.trim()),
    onSuccess: async () => {
      setReason("");
      setSaved("Stock saved.");
      await refresh();
    },
  });
  const priceChange = useMutation({
    mutationFn: (minor: number | null) => staff.setPrice(variant.id, minor),
    onSuccess: async () => {
      setSaved("Price saved.");
      await refresh();
    },
  });
  const stockErrors = fieldErrors(stock.error);
  const priceErrors = fieldErrors(priceChange.error);

  function saveStock(e: FormEvent) {
    e.preventDefault();
    setSaved(null);
    const problems: Record<string, string> = {};
    const quantity = Number(count);
    if (!/^\d+$/.test(count.trim())) problems.quantity = "A whole number of units, 0 or more.";
    if (!reason.trim()) problems.reason = "Say why (a shelf count, a delivery, damage…).";
    setLocal(problems);
    if (Object.keys(problems).length === 0) stock.mutate(quantity);
  }

  function savePrice(e: FormEvent) {
    e.preventDefault();
    setSaved(null);
    const minor = price.trim() ? toMinor(price) : null;
    if (minor !== null && (Number.isNaN(minor) || minor <= 0)) {
      setLocal({ price: "A price like 1299 or 1299.50, or empty for the product's price." });
      return;
    }
    setLocal({});
    priceChange.mutate(minor);
  }

  return (
    <Card data-testid="variant-card" data-variant-id={variant.id}>
      <CardHeader>
        <CardTitle className="flex flex-wrap items-center justify-between gap-2 text-base">
          <span>
            {variant.size} · {variant.colour} <span className="text-sm font-normal text-stone-500">{variant.sku}</span>
          </span>
          <Badge variant={variant.availability === "out_of_stock" ? "danger" : variant.availability === "low_stock" ? "warning" : "success"} data-testid="variant-stock">
            {stockLabel(variant.inventory_count, variant.low_stock_threshold)}
          </Badge>
        </CardTitle>
      </CardHeader>
      <CardContent className="space-y-4">
        <form onSubmit={saveStock} className="grid grid-cols-1 gap-2 sm:grid-cols-[8rem_1fr_auto] sm:items-end" noValidate aria-label={`Stock of ${variant.sku}`}>
          <Field id={`${id}-count`} label="Units on shelf" inputMode="numeric" value={count} onChange={(e) => setCount(e.target.value)}
            error={local.quantity ?? stockErrors.quantity} />
          <Field id={`${id}-reason`} label="Reason" value={reason} onChange={(e) => setReason(e.target.value)} maxLength={200}
            error={local.reason ?? stockErrors.reason} />
          <Button type="submit" disabled={stock.isPending}>
            Save stock
          </Button>
        </form>
        <FormError message={stock.error && !stockErrors.quantity && !stockErrors.reason ? errorText(stock.error) : null} />
        <form onSubmit={savePrice} className="grid grid-cols-1 gap-2 sm:grid-cols-[1fr_auto] sm:items-end" noValidate aria-label={`Price of ${variant.sku}`}>
          <Field id={`${id}-price`} label={`Own price in ${variant.currency} (now ${formatMoney(variant.price, variant.currency)}; empty: product's)`}
            inputMode="decimal" value={price} onChange={(e) => setPrice(e.target.value)} error={local.price ?? priceErrors.price} />
          <Button type="submit" variant="outline" disabled={priceChange.isPending}>
            Save price
          </Button>
        </form>
        <FormError message={priceChange.error && !priceErrors.price ? errorText(priceChange.error) : null} />
        {saved ? (
          <p role="status" className="text-sm text-green-800">
            {saved}
          </p>
        ) : null}
      </CardContent>
    </Card>
  );
}
