"use client";
/**
 * The catalog: filters (category, brand, size, colour, price, in stock, sort) live in the query
 * string, so a filtered page is a link; pages are keyset cursors from the gateway ("Load more").
 */
import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { Suspense, useState, type FormEvent } from "react";
import { api, ApiError } from "@/lib/api";
import type { Page, ProductCard, Ref } from "@/lib/shop";
import { ProductGrid } from "@/components/shop/ProductCard";
import { Button } from "@/components/ui/button";
import { FormError } from "@/components/ui/field";
import { Input } from "@/components/ui/input";
import { Label } from "@/components/ui/label";

type Category = Ref & { children?: Category[] };
const FILTERS = ["category", "brand", "size", "colour", "min_price", "max_price", "in_stock", "sort", "q"] as const;
const SIZES = ["XS", "S", "M", "L", "XL", "XXL"];

function flatten(cats: Category[], depth = 0): { cat: Category; depth: number }[] {
  return cats.flatMap((c) => [{ cat: c, depth }, ...flatten(c.children ?? [], depth + 1)]);
}

/** Rupees typed by a shopper → minor units for the gateway ("" stays unset). */
function rupeesToMinor(text: string): string {
  const t = text.trim();
  if (!t) return "";
  const n = Number(t);
  return Number.isFinite(n) && n >= 0 ? String(Math.round(n * 100)) : "invalid";
}

function Catalog() {
  const params = useSearchParams();
  const router = useRouter();
  const pathname = usePathname();
  const [priceError, setPriceError] = useState<string | null>(null);
  const qs = new URLSearchParams();
  for (const f of FILTERS) {
    const v = params.get(f);
    if (v) qs.set(f, v);
  }
  const query = qs.toString();

  const categories = useQuery({ queryKey: ["categories"], queryFn: () => api<{ items: Category[] }>("/api/categories") });
  const brands = useQuery({ queryKey: ["brands"], queryFn: () => api<{ items: Ref[] }>("/api/brands") });
  const products = useInfiniteQuery({
    queryKey: ["products", query],
    initialPageParam: "",
    queryFn: ({ pageParam }) => {
      const page = new URLSearchParams(query);
      page.set("limit", "24");
      if (pageParam) page.set("cursor", pageParam);
      return api<Page<ProductCard>>(`/api/products?${page}`);
    },
    getNextPageParam: (last) => last.next_cursor || undefined,
  });

  const setFilter = (name: string, value: string) => {
    const next = new URLSearchParams(query);
    if (value) next.set(name, value);
    else next.delete(name);
    router.replace(`${pathname}?${next}`);
  };

  const applyPrice = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const data = new FormData(e.currentTarget);
    const min = rupeesToMinor(String(data.get("min") ?? ""));
    const max = rupeesToMinor(String(data.get("max") ?? ""));
    if (min === "invalid" || max === "invalid") return setPriceError("Prices are numbers in rupees.");
    if (min && max && Number(min) > Number(max)) return setPriceError("The lowest price is above the highest.");
    setPriceError(null);
    const next = new URLSearchParams(query);
    for (const [k, v] of [["min_price", min], ["max_price", max]] as const) {
      if (v) next.set(k, v);
      else next.delete(k);
    }
    router.replace(`${pathname}?${next}`);
  };

  const items = products.data?.pages.flatMap((p) => p.items) ?? [];
  const select = "h-9 w-full rounded-md border border-stone-300 bg-white px-2 text-sm";
  return (
    <div className="grid gap-6 md:grid-cols-[220px_1fr]">
      <aside aria-label="Filters" className="space-y-4">
        <div className="space-y-1">
          <Label htmlFor="f-category">Category</Label>
          <select id="f-category" className={select} value={params.get("category") ?? ""} onChange={(e) => setFilter("category", e.target.value)}>
            <option value="">All</option>
            {flatten(categories.data?.items ?? []).map(({ cat, depth }) => (
              <option key={cat.id} value={cat.slug}>
                {"\u00a0".repeat(depth * 2)}
                {cat.name}
              </option>
            ))}
          </select>
        </div>
        <div className="space-y-1">
          <Label htmlFor="f-brand">Brand</Label>
          <select id="f-brand" className={select} value={params.get("brand") ?? ""} onChange={(e) => setFilter("brand", e.target.value)}>
            <option value="">All</option>
            {(brands.data?.items ?? []).map((b) => (
              <option key={b.id} value={b.slug}>
                {b.name}
              </option>
            ))}
          </select>
        </div>
        <div className="space-y-1">
          <Label htmlFor="f-size">Size</Label>
          <select id="f-size" className={select} value={params.get("size") ?? ""} onChange={(e) => setFilter("size", e.target.value)}>
            <option value="">Any</option>
            {SIZES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </div>
        <div className="space-y-1">
          <Label htmlFor="f-colour">Colour</Label>
          <Input id="f-colour" defaultValue={params.get("colour") ?? ""} placeholder="e.g. Indigo" onBlur={(e) => setFilter("colour", e.target.value.trim())} onKeyDown={(e) => e.key === "Enter" && setFilter("colour", e.currentTarget.value.trim())} />
        </div>
        <form onSubmit={applyPrice} className="space-y-1" aria-label="Price">
          <fieldset className="grid grid-cols-2 gap-2">
            <legend className="mb-1 text-sm font-medium text-stone-700">Price (₹)</legend>
            <Input aria-label="Lowest price" name="min" inputMode="decimal" defaultValue={params.get("min_price") ? String(Number(params.get("min_price")) / 100) : ""} placeholder="min" />
            <Input aria-label="Highest price" name="max" inputMode="decimal" defaultValue={params.get("max_price") ? String(Number(params.get("max_price")) / 100) : ""} placeholder="max" />
          </fieldset>
          {priceError ? <p role="alert" className="text-sm text-red-700">{priceError}</p> : null}
          <Button type="submit" variant="outline" size="sm">
            Apply
          </Button>
        </form>
        <label className="flex items-center gap-2 text-sm">
          <input type="checkbox" checked={params.get("in_stock") === "true"} onChange={(e) => setFilter("in_stock", e.target.checked ? "true" : "")} />
          In stock only
        </label>
        <div className="space-y-1">
          <Label htmlFor="f-sort">Sort</Label>
          <select id="f-sort" className={select} value={params.get("sort") ?? "newest"} onChange={(e) => setFilter("sort", e.target.value === "newest" ? "" : e.target.value)}>
            <option value="newest">Newest</option>
            <option value="price_asc">Price: low to high</option>
            <option value="price_desc">Price: high to low</option>
            <option value="rating">Rating</option>
            <option value="name">Name</option>
          </select>
        </div>
      </aside>
      <section aria-labelledby="catalog-title" className="space-y-4">
        <h1 id="catalog-title" className="text-2xl font-semibold">
          {params.get("q") ? `Results for “${params.get("q")}”` : "Shop"}
        </h1>
        {products.error ? <FormError message={products.error instanceof ApiError ? products.error.message : "Could not load products."} /> : null}
        {products.isLoading ? <p>Loading…</p> : items.length ? <ProductGrid products={items} /> : <p className="text-stone-500">No products match these filters.</p>}
        {products.hasNextPage ? (
          <Button variant="outline" onClick={() => void products.fetchNextPage()} disabled={products.isFetchingNextPage}>
            {products.isFetchingNextPage ? "Loading…" : "Load more"}
          </Button>
        ) : null}
      </section>
    </div>
  );
}

export default function CatalogPage() {
  return (
    <Suspense>
      <Catalog />
    </Suspense>
  );
}
