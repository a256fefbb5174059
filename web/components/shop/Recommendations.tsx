"use client";
/** "Similar" / "bought together" blocks: hidden while the recommendations routes are absent (404). */
import Link from "next/link";
import { useQuery } from "@tanstack/react-query";
import { formatMoney } from "@/lib/format";
import { optionalApi } from "@/lib/shop";

type Rec = { id?: number; product_id?: number; name?: string; price?: number; currency?: string; product?: Rec };

export function Recommendations({ path, title, testId }: { path: string; title: string; testId: string }) {
  const q = useQuery({ queryKey: ["recs", path], queryFn: () => optionalApi<{ items?: Rec[] }>(path), retry: false });
  const items = (q.data?.items ?? []).map((r) => r.product ?? r).filter((r) => r.id ?? r.product_id);
  if (q.isError || !items.length) return null;
  return (
    <section aria-label={title} data-testid={testId} className="space-y-2">
      <h2 className="text-lg font-semibold">{title}</h2>
      <ul className="flex gap-3 overflow-x-auto pb-2">
        {items.slice(0, 8).map((r) => {
          const id = r.id ?? r.product_id;
          return (
            <li key={id} className="w-40 shrink-0 rounded-md border border-stone-200 bg-white p-2 text-sm">
              <Link href={`/product/?id=${id}`} className="hover:underline">
                {r.name ?? `Product ${id}`}
              </Link>
              {r.price !== undefined ? <p className="font-semibold">{formatMoney(r.price, r.currency)}</p> : null}
            </li>
          );
        })}
      </ul>
    </section>
  );
}
