"use client";
/**
 * A product (/product/?id=12): variants with size and colour pickers, live stock and price from
 * /sse/product-updates (public, so guests see it too; resumes with Last-Event-ID), reviews, and
 * recommendations when those routes exist. Stock shown is the gateway's count; adding to the
 * cart is the cart service's decision (its refusal is shown as it comes).
 */
import Link from "next/link";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useSearchParams } from "next/navigation";
import { Suspense, useMemo, useState } from "react";
import { api, ApiError } from "@/lib/api";
import { formatMoney, positiveIntParam, stockLabel } from "@/lib/format";
import { useLiveFeed } from "@/lib/live";
import { keys, useCartMutation, useProduct, type Product } from "@/lib/shop";
import { LiveBadge } from "@/components/LiveIndicator";
import { Recommendations } from "@/components/shop/Recommendations";
import { Button } from "@/components/ui/button";
import { FormError } from "@/components/ui/field";

type Review = { id: number; rating: number; title?: string | null; body?: string | null; comment?: string | null; user?: { username?: string } | null };

function uniq(values: (string | null)[]): string[] {
  return [...new Set(values.filter((v): v is string => !!v))];
}

function ProductView({ id }: { id: number }) {
  const qc = useQueryClient();
  const product = useProduct(id);
  const [size, setSize] = useState<string | null>(null);
  const [colour, setColour] = useState<string | null>(null);
  const [qty, setQty] = useState(1);
  const [added, setAdded] = useState<string | null>(null);
  const add = useCartMutation();

  const live = useLiveFeed(
    "/sse/product-updates",
    ["product.inventory.updated", "product.updated"],
    (e) => {
      const d = e.data as { product_id?: number; variant_id?: number; new?: number };
      if (d.product_id !== id) return;
      if (e.type === "product.inventory.updated" && typeof d.new === "number") {
        qc.setQueryData<Product>(keys.product(id), (p) =>
          p ? { ...p, variants: p.variants.map((v) => (v.id === d.variant_id ? { ...v, inventory_count: d.new as number } : v)) } : p,
        );
      } else {
        void qc.invalidateQueries({ queryKey: keys.product(id) }); // a price or detail changed: ask again
      }
    },
    () => void qc.invalidateQueries({ queryKey: keys.product(id) }),
  );

  const reviews = useQuery({
    queryKey: ["reviews", id],
    queryFn: () => api<{ items: Review[] }>(`/api/products/${id}/reviews?limit=5`),
    retry: false,
  });

  const p = product.data;
  const variants = useMemo(() => (p?.variants ?? []).filter((v) => v.is_active), [p]);
  const sizes = uniq(variants.map((v) => v.size));
  const colours = uniq(variants.map((v) => v.colour));
  const chosenSize = size ?? sizes[0] ?? null;
  const chosenColour = colour ?? colours.find((c) => variants.some((v) => v.colour === c && v.size === chosenSize)) ?? colours[0] ?? null;
  const variant = variants.find((v) => v.size === chosenSize && v.colour === chosenColour) ?? null;

  if (product.isLoading) return <p>Loading…</p>;
  if (product.error)
    return <FormError message={product.error instanceof ApiError ? product.error.message : "Could not load this product."} />;
  if (!p) return null;

  const count = variant?.inventory_count ?? 0;
  const price = variant?.price ?? p.price;
  const addToCart = () => {
    if (!variant) return;
    setAdded(null);
    add.mutate(
      { variantId: variant.id, quantity: qty, mode: "add" },
      { onSuccess: () => setAdded(`Added ${qty} × ${p.name} (${variant.size ?? ""} ${variant.colour ?? ""}) to your cart.`) },
    );
  };

  return (
    <div className="space-y-8">
      <div className="grid gap-6 md:grid-cols-2">
        <div className="aspect-[4/5] overflow-hidden rounded-xl bg-gradient-to-br from-orange-100 to-stone-200">
          {p.images?.[0] ? (
            // eslint-disable-next-line @next/next/no-img-element
            <img src={p.images[0].url} alt={p.images[0].alt_text ?? p.name} className="h-full w-full object-cover" />
          ) : null}
        </div>
        <div className="space-y-4">
          <nav aria-label="Breadcrumb" className="text-xs text-stone-500">
            {p.category.path.map((c) => c.name).join(" / ")}
          </nav>
          <p className="text-sm uppercase tracking-wide text-stone-500">{p.brand.name}</p>
          <h1 className="text-2xl font-semibold" data-testid="product-name">
            {p.name}
          </h1>
          <p className="text-xl font-semibold" data-testid="price">
            {formatMoney(price, p.currency)}
          </p>
          {p.rating?.count ? (
            <p className="text-sm text-stone-600">
              ★ {p.rating.avg.toFixed(1)} ({p.rating.count} reviews)
            </p>
          ) : null}
          {sizes.length ? (
            <fieldset>
              <legend className="mb-1 text-sm font-medium">Size</legend>
              <div className="flex flex-wrap gap-2" role="radiogroup" aria-label="Size">
                {sizes.map((s) => (
                  <button
                    key={s}
                    role="radio"
                    aria-checked={s === chosenSize}
                    onClick={() => setSize(s)}
                    className={`min-w-11 rounded-md border px-3 py-2 text-sm ${s === chosenSize ? "border-stone-900 bg-stone-900 text-white" : "border-stone-300 bg-white"}`}
                  >
                    {s}
                  </button>
                ))}
              </div>
            </fieldset>
          ) : null}
          {colours.length ? (
            <fieldset>
              <legend className="mb-1 text-sm font-medium">Colour</legend>
              <div className="flex flex-wrap gap-2" role="radiogroup" aria-label="Colour">
                {colours.map((c) => (
                  <button
                    key={c}
                    role="radio"
                    aria-checked={c === chosenColour}
                    onClick={() => setColour(c)}
                    className={`rounded-md border px-3 py-2 text-sm ${c === chosenColour ? "border-stone-900 bg-stone-900 text-white" : "border-stone-300 bg-white"}`}
                  >
                    {c}
                  </button>
                ))}
              </div>
            </fieldset>
          ) : null}
          <div className="flex items-center gap-2" aria-live="polite">
            <p data-testid="stock" data-count={variant ? count : undefined} className={`text-sm font-medium ${count <= 0 ? "text-red-700" : count <= (variant?.low_stock_threshold ?? 5) ? "text-amber-800" : "text-green-800"}`}>
              {variant ? stockLabel(count, variant.low_stock_threshold) : "This combination is not available"}
            </p>
            <LiveBadge state={live} label="Live stock" />
          </div>
          <div className="flex items-end gap-2">
            <div>
              <label htmlFor="qty" className="block text-sm font-medium">
                Quantity
              </label>
              <input
                id="qty"
                type="number"
                min={1}
                max={99}
                value={qty}
                onChange={(e) => setQty(Math.max(1, Math.min(99, Number(e.target.value) || 1)))}
                className="h-10 w-20 rounded-md border border-stone-300 px-2"
              />
            </div>
            <Button size="lg" onClick={addToCart} disabled={!variant || add.isPending} data-testid="add-to-cart">
              {add.isPending ? "Adding…" : "Add to cart"}
            </Button>
          </div>
          {add.error ? <FormError testId="add-error" message={add.error.message} /> : null}
          {added ? (
            <p role="status" data-testid="added" className="text-sm text-green-800">
              {added}{" "}
              <Link href="/cart/" className="underline">
                View cart
              </Link>
            </p>
          ) : null}
          {p.description ? <p className="text-stone-700">{p.description}</p> : null}
        </div>
      </div>
      <Recommendations path={`/api/products/${id}/similar`} title="Similar styles" testId="recs-similar" />
      <Recommendations path={`/api/products/${id}/bought-together`} title="Bought together" testId="recs-together" />
      <section aria-labelledby="reviews-title" className="space-y-2">
        <h2 id="reviews-title" className="text-lg font-semibold">
          Reviews
        </h2>
        {(reviews.data?.items ?? []).map((r) => (
          <article key={r.id} className="rounded-md border border-stone-200 bg-white p-3 text-sm">
            <p className="font-medium">
              {"★".repeat(r.rating)} {r.title}
            </p>
            <p className="text-stone-700">{r.body ?? r.comment}</p>
          </article>
        ))}
        {reviews.data && reviews.data.items.length === 0 ? <p className="text-sm text-stone-500">No reviews yet.</p> : null}
      </section>
    </div>
  );
}

function ProductPageInner() {
  const id = positiveIntParam(useSearchParams().get("id"));
  if (!id) return <FormError message="No such product." />;
  return <ProductView key={id} id={id} />;
}

export default function ProductPage() {
  return (
    <Suspense>
      <ProductPageInner />
    </Suspense>
  );
}
