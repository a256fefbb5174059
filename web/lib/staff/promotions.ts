/** The promotion form's text fields ⇄ the gateway's terms (pure, so the rules are testable).
 * Times are typed in the clerk's local time (datetime-local) and sent as UTC ISO strings;
 * amounts in major units ("250.50") and sent in minor units. */
import { toMinor } from "./figures";
import type { Promotion, PromotionTerms } from "./types";

export interface PromotionForm {
  title: string;
  description: string;
  code: string;
  kind: "percent" | "amount";
  value: string;
  currency: string;
  starts_at: string; // datetime-local, e.g. 2026-12-03T14:00
  ends_at: string;
  scope: "all" | "category" | "products";
  category: string;
  product_ids: string; // "12, 15"
}

const pad = (n: number) => String(n).padStart(2, "0");

export function toLocalInput(iso: string | Date): string {
  const d = typeof iso === "string" ? new Date(iso) : iso;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function emptyForm(now = new Date()): PromotionForm {
  const inAWeek = new Date(now.getTime() + 7 * 86400_000);
  return {
    title: "", description: "", code: "", kind: "percent", value: "", currency: "INR",
    starts_at: toLocalInput(now), ends_at: toLocalInput(inAWeek), scope: "all", category: "", product_ids: "",
  };
}

export function formOf(p: Promotion): PromotionForm {
  return {
    title: p.title, description: p.description ?? "", code: p.code ?? "",
    kind: p.discount_amount !== null ? "amount" : "percent",
    value: p.discount_amount !== null ? (p.discount_amount / 100).toFixed(2) : String(p.discount_percent ?? ""),
    currency: p.currency ?? "INR", starts_at: toLocalInput(p.starts_at), ends_at: toLocalInput(p.ends_at),
    scope: p.product_ids?.length ? "products" : p.category ? "category" : "all",
    category: p.category ?? "", product_ids: (p.product_ids ?? []).join(", "),
  };
}

/** The terms a form stands for, and the problems found before sending (by gateway field name). */
export function termsOf(form: PromotionForm): { terms: PromotionTerms; problems: Record<string, string> } {
  const problems: Record<string, string> = {};
  const terms: PromotionTerms = {
    title: form.title.trim(),
    description: form.description.trim() || null,
    code: form.code.trim() || null,
    discount_percent: null,
    discount_amount: null,
    currency: null,
    category: null,
    product_ids: null,
  };
  if (!terms.title) problems.title = "Give the promotion a title.";
  if (terms.code && !/^[A-Za-z0-9][A-Za-z0-9_-]{2,39}$/.test(terms.code)) problems.code = "3-40 characters: letters, digits, '_', '-'.";
  if (form.kind === "percent") {
    const percent = Number(form.value);
    if (!/^\d+$/.test(form.value.trim()) || percent < 1 || percent > 90) problems.discount_percent = "A whole percentage from 1 to 90.";
    else terms.discount_percent = percent;
  } else {
    const minor = toMinor(form.value);
    if (Number.isNaN(minor) || minor <= 0) problems.discount_amount = "An amount like 200 or 199.50.";
    else terms.discount_amount = minor;
    terms.currency = form.currency;
  }
  const starts = new Date(form.starts_at);
  const ends = new Date(form.ends_at);
  if (Number.isNaN(starts.getTime())) problems.starts_at = "Pick when it starts.";
  else terms.starts_at = starts.toISOString();
  if (Number.isNaN(ends.getTime())) problems.ends_at = "Pick when it ends.";
  else if (!problems.starts_at && ends <= starts) problems.ends_at = "It must end after it starts.";
  else terms.ends_at = ends.toISOString();
  if (form.scope === "category") {
    const slug = form.category.trim();
    if (!/^[a-z0-9]+(?:-[a-z0-9]+)*$/.test(slug)) problems.category = "A category slug, e.g. kurtas or ethnic-wear.";
    else terms.category = slug;
  } else if (form.scope === "products") {
    const ids = form.product_ids.split(/[\s,]+/).filter(Boolean);
    if (!ids.length || !ids.every((t) => /^\d+$/.test(t) && Number(t) > 0)) problems.product_ids = "Product ids separated by commas, e.g. 12, 15.";
    else terms.product_ids = [...new Set(ids.map(Number))].sort((a, b) => a - b);
  }
  return { terms, problems };
}

/** Only what changed: a live promotion's start may not move, so it is never resent as is. */
export function changedTerms(before: PromotionTerms, after: PromotionTerms): PromotionTerms {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(after)) {
    if (JSON.stringify(v) !== JSON.stringify((before as Record<string, unknown>)[k])) out[k] = v;
  }
  return out as PromotionTerms;
}
