"use client";
/** Home: the promotions banner (live from /sse/promotions) and what is trending. */
import Link from "next/link";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { api } from "@/lib/api";
import { useLiveFeed } from "@/lib/live";
import type { ProductCard } from "@/lib/shop";
import { ProductGrid } from "@/components/shop/ProductCard";
import { LiveBadge } from "@/components/LiveIndicator";

type Promotion = { id: number; title?: string; name?: string; description?: string; body?: string; code?: string | null; ends_at?: string | null };

export default function HomePage() {
  const qc = useQueryClient();
  const promos = useQuery({ queryKey: ["promotions"], queryFn: () => api<{ items: Promotion[] }>("/api/promotions") });
  const trending = useQuery({ queryKey: ["trending"], queryFn: () => api<{ items: ProductCard[] }>("/api/products/trending?limit=8") });
  const latest = useQuery({ queryKey: ["products", "home"], queryFn: () => api<{ items: ProductCard[] }>("/api/products?limit=8") });
  const live = useLiveFeed(
    "/sse/promotions",
    ["promotion.started", "promotion.updated", "promotion.ended"],
    () => void qc.invalidateQueries({ queryKey: ["promotions"] }),
    () => void qc.invalidateQueries({ queryKey: ["promotions"] }),
  );
  const items = promos.data?.items ?? [];
  const shown = (trending.data?.items?.length ? trending.data.items : latest.data?.items) ?? [];
  return (
    <div className="space-y-8">
      <section aria-labelledby="promos" className="rounded-xl bg-gradient-to-r from-orange-800 to-rose-700 p-6 text-white">
        <div className="flex items-center justify-between">
          <h1 id="promos" className="text-2xl font-bold sm:text-3xl">
            Festive edit, live
          </h1>
          <LiveBadge state={live} />
        </div>
        <ul className="mt-3 space-y-1" data-testid="promotions">
          {items.map((p) => (
            <li key={p.id} className="text-sm sm:text-base" data-testid="promotion">
              <strong>{p.title ?? p.name}</strong> {p.description ?? p.body ?? ""} {p.code ? <span className="rounded bg-white/20 px-1 font-mono">{p.code}</span> : null}
            </li>
          ))}
          {items.length === 0 ? <li className="text-sm opacity-90">New drops every week. Stock and prices update live.</li> : null}
        </ul>
        <Link href="/catalog/" className="mt-4 inline-block rounded-md bg-white px-4 py-2 text-sm font-semibold text-orange-900">
          Shop the catalog
        </Link>
      </section>
      <section aria-labelledby="trending">
        <h2 id="trending" className="mb-3 text-xl font-semibold">
          {trending.data?.items?.length ? "Trending now" : "New in"}
        </h2>
        {shown.length ? <ProductGrid products={shown} /> : <p className="text-stone-500">{trending.isLoading ? "Loading…" : "No products yet."}</p>}
      </section>
    </div>
  );
}
