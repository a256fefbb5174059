/** Pure helpers the console renders with: money, the live counts, and field errors. */
import { ApiError } from "@/lib/api";
import { formatMoney as money } from "@/lib/format";
import type { AnalyticsSnapshot } from "./types";
import type { AnalyticsSummary } from "./api";

/** "499.00" typed by a clerk → 49900 minor units; NaN when it is not an amount. */
export function toMinor(text: string): number {
  const cleaned = text.trim().replace(/,/g, "");
  if (!/^\d+(\.\d{1,2})?$/.test(cleaned)) return Number.NaN;
  return Math.round(Number(cleaned) * 100);
}

/** The event types the live counts are made of (gateway/realtime/analytics.py counts every
 * event on the tail per minute). */
export const COUNTED = {
  orders: "order.created",
  sales: "order.payment.completed",
  views: "product.viewed",
} as const;

export interface LiveCounts {
  countingSince: string;
  thisMinute: { orders: number; sales: number; views: number; events: number };
  window: { orders: number; sales: number; views: number; events: number; minutes: number };
  perMinute: { minute: string; orders: number; sales: number; views: number }[];
}

export function liveCounts(snapshot: AnalyticsSnapshot): LiveCounts {
  const perMinute = snapshot.minutes.map((m) => ({
    minute: m.minute,
    orders: m.by_type[COUNTED.orders] ?? m.orders ?? 0,
    sales: m.by_type[COUNTED.sales] ?? 0,
    views: m.by_type[COUNTED.views] ?? 0,
  }));
  const last = snapshot.minutes[snapshot.minutes.length - 1];
  const lastCounts = perMinute[perMinute.length - 1] ?? { orders: 0, sales: 0, views: 0 };
  const sum = (key: "orders" | "sales" | "views") =>
    perMinute.reduce((total, m) => total + m[key], 0);
  return {
    countingSince: snapshot.counting_since,
    thisMinute: { orders: lastCounts.orders, sales: lastCounts.sales, views: lastCounts.views,
      events: last?.events ?? 0 },
    window: { orders: sum("orders"), sales: sum("sales"), views: sum("views"),
      events: snapshot.minutes.reduce((t, m) => t + m.events, 0), minutes: perMinute.length },
    perMinute,
  };
}

/** The full figures the analytics service answers, as label/value pairs; only what it sent. */
export function summaryFigures(s: AnalyticsSummary): { label: string; value: string }[] {
  const currency = s.currency ?? "INR";
  const out: { label: string; value: string }[] = [];
  if (s.sales_today !== undefined) out.push({ label: "Sales today", value: money(s.sales_today, currency) });
  if (s.orders_today !== undefined) out.push({ label: "Orders today", value: String(s.orders_today) });
  if (s.avg_order_value_today !== undefined)
    out.push({ label: "Average order", value: money(s.avg_order_value_today, currency) });
  if (s.sales_this_minute !== undefined)
    out.push({ label: "Sales this minute", value: money(s.sales_this_minute, currency) });
  if (s.live_visitors !== undefined) out.push({ label: "Visitors now", value: String(s.live_visitors) });
  if (s.online_users !== undefined) out.push({ label: "Signed in now", value: String(s.online_users) });
  return out;
}

/** The gateway's message for each field it named ({details: {fields: {name: [..]}}}); nested
 * ones (a shipment's tracking) as "tracking.carrier". */
export function fieldErrors(error: unknown): Record<string, string> {
  if (!(error instanceof ApiError)) return {};
  const out: Record<string, string> = {};
  const walk = (prefix: string, value: unknown) => {
    if (Array.isArray(value)) out[prefix] = value.map(String).join(" ");
    else if (value && typeof value === "object") {
      for (const [k, v] of Object.entries(value)) walk(prefix ? `${prefix}.${k}` : k, v);
    } else if (value !== undefined && value !== null) out[prefix] = String(value);
  };
  walk("", error.details?.fields ?? {});
  return out;
}

export function errorText(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error && typeof error === "object" && typeof (error as { message?: unknown }).message === "string") {
    return (error as { message: string }).message;
  }
  return "Something went wrong; please try again.";
}
