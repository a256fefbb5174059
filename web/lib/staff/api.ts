/** The staff console's calls to the gateway, typed. Each is one route (gateway/routes/*.py)
 * through the app's fetch wrapper (lib/api.ts), which adds the bearer token and throws the
 * gateway's JSON error as an ApiError. Nothing here caches: React Query does that in the pages.
 *
 *   const page = await staff.listOrders({ status: "paid" });
 */
import { api, type ApiOptions } from "@/lib/api";
import type {
  AnalyticsSnapshot, Conversation, ChatMessage, Order, OrderFilters, Page, ProductDetail,
  ProductPage, Promotion, PromotionStatus, PromotionTerms, Refund, ShipmentTracking, Variant,
} from "./types";

export interface CallOptions { body?: unknown; headers?: Record<string, string>; idempotencyKey?: string }
export type Call = <T>(method: string, path: string, options?: CallOptions) => Promise<T>;

/** The default `call`: lib/api's fetch wrapper. */
export const callGateway: Call = <T,>(method: string, path: string, options: CallOptions = {}) =>
  api<T>(path, { ...options, method: method as ApiOptions["method"] });

export function query(params: Record<string, string | number | null | undefined>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") search.set(name, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

export function staffApi(call: Call) {
  return {
    // ---- orders (gateway/routes/orders.py) -------------------------------------------------
    listOrders: (filters: OrderFilters = {}) =>
      call<Page<Order>>("GET", `/api/orders${query({ ...filters })}`),
    getOrder: (id: number) => call<Order>("GET", `/api/orders/${id}`),
    /** fulfilled | shipped (tracking required) | delivered */
    changeStatus: (id: number, status: string, tracking?: ShipmentTracking, note?: string) =>
      call<Order>("POST", `/api/orders/${id}/status`, {
        body: { status, ...(tracking ? { tracking } : {}), ...(note ? { note } : {}) },
      }),

    // ---- refunds (gateway/routes/payments.py) ----------------------------------------------
    /** amount in minor units; omitted: all that is left. */
    refund: (paymentId: string, idempotencyKey: string, amount?: number, reason?: string) =>
      call<Refund>("POST", `/api/payments/${encodeURIComponent(paymentId)}/refunds`, {
        idempotencyKey,
        body: { ...(amount !== undefined ? { amount } : {}), ...(reason ? { reason } : {}) },
      }),

    // ---- catalog: stock and prices (gateway/routes/catalog.py) ------------------------------
    listProducts: (q: string, cursor?: string | null) =>
      call<ProductPage>("GET", `/api/products${query({ q, cursor, limit: 24 })}`, {
        headers: { "Cache-Control": "no-cache" },
      }),
    getProduct: (id: number) =>
      call<ProductDetail>("GET", `/api/products/${id}`, { headers: { "Cache-Control": "no-cache" } }),
    setStock: (variantId: number, quantity: number, reason?: string) =>
      call<Variant>("PUT", `/api/variants/${variantId}/stock`, {
        body: { quantity, ...(reason ? { reason } : {}) },
      }),
    adjustStock: (variantId: number, delta: number, reason?: string) =>
      call<Variant>("POST", `/api/variants/${variantId}/stock-adjustments`, {
        body: { delta, ...(reason ? { reason } : {}) },
      }),
    /** price in minor units; null: back to the product's price. */
    setPrice: (variantId: number, price: number | null) =>
      call<Variant>("PATCH", `/api/variants/${variantId}`, { body: { price } }),

    // ---- promotions (gateway/routes/promotions.py) ------------------------------------------
    listPromotions: (status: PromotionStatus | "all" = "all", beforeId?: number | null) =>
      call<Page<Promotion>>("GET", `/api/promotions${query({ status, before_id: beforeId })}`),
    createPromotion: (terms: PromotionTerms) =>
      call<Promotion>("POST", "/api/promotions", { body: terms }),
    updatePromotion: (id: number, changes: PromotionTerms) =>
      call<Promotion>("PATCH", `/api/promotions/${id}`, { body: changes }),
    endPromotion: (id: number) => call<Promotion>("POST", `/api/promotions/${id}/end`),

    // ---- chat (gateway/routes/notifications.py; live over /ws/chat) -------------------------
    conversations: () => call<{ items: Conversation[] }>("GET", "/api/chat/conversations"),
    history: (conversationId: number, beforeId?: number | null) =>
      call<Page<ChatMessage>>("GET",
        `/api/chat/conversations/${conversationId}/messages${query({ before_id: beforeId })}`),
    assign: (conversationId: number) =>
      call<Conversation>("POST", `/api/chat/conversations/${conversationId}/assign`),
    close: (conversationId: number) =>
      call<Conversation>("POST", `/api/chat/conversations/${conversationId}/close`),

    // ---- analytics: the service's routes once it lands; 404 until then ----------------------
    analyticsLive: () => call<AnalyticsSummary>("GET", "/api/analytics/live"),
  };
}

export type StaffApi = ReturnType<typeof staffApi>;

export const staff = staffApi(callGateway);

/** What GET /api/analytics/live answers once the analytics service lands (its planned
 * kit/analytics_live.snapshot); every field optional, so a partial answer shows what it has. */
export interface AnalyticsSummary {
  day?: string;
  currency?: string;
  sales_today?: number;
  orders_today?: number;
  avg_order_value_today?: number;
  sales_this_minute?: number;
  orders_this_minute?: number;
  live_visitors?: number;
  online_users?: number;
}

export type { AnalyticsSnapshot };
