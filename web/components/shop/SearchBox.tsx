"use client";
/** The header's search box with autocomplete from /api/search/suggest (keyboard: ↑ ↓ Enter Esc). */
import { useRouter } from "next/navigation";
import { useEffect, useId, useState } from "react";
import { api } from "@/lib/api";

type Suggestion = { text: string; product_id?: number | null; [k: string]: unknown };

export function SearchBox() {
  const router = useRouter();
  const listId = useId();
  const [q, setQ] = useState("");
  const [items, setItems] = useState<Suggestion[]>([]);
  const [active, setActive] = useState(-1);
  const [open, setOpen] = useState(false);

  useEffect(() => {
    const text = q.trim();
    if (text.length < 2) {
      setItems([]);
      return;
    }
    const ctl = new AbortController();
    const t = setTimeout(() => {
      api<{ suggestions?: Suggestion[]; items?: Suggestion[] }>(`/api/search/suggest?q=${encodeURIComponent(text)}`, { signal: ctl.signal })
        .then((r) => {
          setItems((r.suggestions ?? r.items ?? []).slice(0, 8));
          setActive(-1);
          setOpen(true);
        })
        .catch(() => setItems([])); // search down or absent: the box still submits
    }, 150);
    return () => {
      clearTimeout(t);
      ctl.abort();
    };
  }, [q]);

  const go = (text: string) => {
    setOpen(false);
    if (text.trim()) router.push(`/catalog/?q=${encodeURIComponent(text.trim())}`);
  };

  return (
    <form
      role="search"
      className="relative"
      onSubmit={(e) => {
        e.preventDefault();
        go(active >= 0 && items[active] ? items[active].text : q);
      }}
    >
      <label htmlFor="site-search" className="sr-only">
        Search products
      </label>
      <input
        id="site-search"
        type="search"
        value={q}
        placeholder="Search kurtas, sarees, brands…"
        autoComplete="off"
        role="combobox"
        aria-expanded={open && items.length > 0}
        aria-controls={listId}
        aria-activedescendant={active >= 0 ? `${listId}-${active}` : undefined}
        onChange={(e) => setQ(e.target.value)}
        onBlur={() => setTimeout(() => setOpen(false), 150)}
        onKeyDown={(e) => {
          if (e.key === "ArrowDown") {
            e.preventDefault();
            setOpen(true);
            setActive((a) => Math.min(items.length - 1, a + 1));
          } else if (e.key === "ArrowUp") {
            e.preventDefault();
            setActive((a) => Math.max(-1, a - 1));
          } else if (e.key === "Escape") {
            setOpen(false);
          }
        }}
        className="h-9 w-full rounded-md border border-stone-300 bg-white px-3 text-sm"
      />
      {open && items.length > 0 ? (
        <ul id={listId} role="listbox" className="absolute z-50 mt-1 w-full overflow-hidden rounded-md border border-stone-200 bg-white shadow-lg">
          {items.map((s, i) => (
            <li
              key={`${s.text}-${i}`}
              id={`${listId}-${i}`}
              role="option"
              aria-selected={i === active}
              className={`cursor-pointer px-3 py-2 text-sm ${i === active ? "bg-stone-100" : ""}`}
              onMouseDown={(e) => {
                e.preventDefault();
                go(s.text);
              }}
            >
              {s.text}
            </li>
          ))}
        </ul>
      ) : null}
    </form>
  );
}
