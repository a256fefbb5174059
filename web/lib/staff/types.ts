/** The gateway's shapes the staff console and the chat widget use (see gateway/routes/*.py
 * and the services' presenters.py: these mirror them field for field). Money is in minor
 * units (paise, cents) everywhere. */

export type Role = "customer" | "support" | "admin";

export const STAFF_ROLES: readonly Role[] = ["support", "admin"];

export function isStaff(role: string | null | undefined): boolean {
  return role === "support" || role === "admin";
}

export type OrderStatus =
  | "pending" | "payment_pending" | "paid" | "fulfilled" | "shipped" | "delivered"
  | "payment_failed" | "cancelled" | "refunded";

export const ORDER_STATUSES: readonly OrderStatus[] = [
  "pending", "payment_pending", "paid", "fulfilled", "shipped", "delivered",
  "payment_failed", "cancelled", "refunded",
];

/** Staff move an order forward by hand only along these steps (services/orders/status.py);
 * the payment saga owns every other move. */
export const NEXT_FULFILMENT: Partial<Record<OrderStatus, "fulfilled" | "shipped" | "delivered">> = {
  paid: "fulfilled",
  fulfilled: "shipped",
  shipped: "delivered",
};

export interface OrderItem {
  variant_id: number; product_id: number; sku: string; name: string; size: string;
  colour: string; unit_price: number; quantity: number; line_total: number;
}

export interface Address {
  full_name: string; line1: string; line2: string | null; city: string; state: string | null;
  postal_code: string; country: string; phone: string | null;
}

export interface OrderPayment {
  payment_id: string | null; status: string | null; failure_code: string | null;
  next_action: unknown; method: string | null;
}

export interface StatusChange {
  old_status: string | null; new_status: string; reason: string | null;
  actor_id: number | null; at: string;
}

export interface TrackingUpdate {
  carrier: string | null; tracking_number: string | null; current_location: string | null;
  estimated_delivery: string | null; note: string | null; at: string;
}

export interface Order {
  id: number; order_ref: string; user_id: number; status: OrderStatus;
  status_reason: string | null; currency: string; subtotal_amount: number;
  total_amount: number; refunded_amount: number; item_count: number; total_quantity: number;
  items: OrderItem[]; shipping_address: Address | null; payment: OrderPayment;
  cancellation: { reason: string | null; refund_requested_at: string | null;
    refund_id: string | null; refunded_at: string | null } | null;
  notes: string | null; created_at: string; paid_at: string | null; shipped_at: string | null;
  delivered_at: string | null; cancelled_at: string | null; updated_at: string;
  /** order_details only */
  history?: StatusChange[];
  tracking?: unknown;
}

export interface Page<T> { items: T[]; next_before_id: number | null }

export interface OrderFilters {
  status?: OrderStatus | ""; user_id?: number | ""; payment_status?: string;
  before_id?: number | null; limit?: number;
}

export interface ShipmentTracking {
  carrier: string; tracking_number: string; current_location?: string;
  estimated_delivery?: string;
}

export interface Refund {
  refund_id: string; payment_id: string; amount: number; currency: string; status: string;
  reason: string | null; failure_code: string | null; created_at: string;
  processed_at: string | null; replayed: boolean;
}

export interface Variant {
  id: number; product_id: number; sku: string; size: string; colour: string; price: number;
  price_override: number | null; currency: string; inventory_count: number;
  low_stock_threshold: number; availability: "in_stock" | "low_stock" | "out_of_stock";
  is_active: boolean;
}

export interface ProductCard {
  id: number; name: string; slug: string; price: number; currency: string;
  brand: { id: number; name: string; slug: string };
  category: { id: number; name: string; slug: string };
  image_url: string | null; in_stock: boolean; is_active: boolean;
}

export interface ProductDetail extends Omit<ProductCard, "image_url"> {
  description: string | null; variants: Variant[];
}

export interface ProductPage { items: ProductCard[]; next_cursor: string | null }

export type PromotionStatus = "scheduled" | "live" | "ended";

export interface Promotion {
  id: number; title: string; description: string | null; code: string | null;
  discount_percent: number | null; discount_amount: number | null; currency: string | null;
  starts_at: string; ends_at: string; product_ids: number[] | null; category: string | null;
  status: PromotionStatus; ended_at: string | null; created_at: string; updated_at: string;
}

export interface PromotionTerms {
  title?: string; description?: string | null; code?: string | null;
  discount_percent?: number | null; discount_amount?: number | null; currency?: string | null;
  starts_at?: string; ends_at?: string; product_ids?: number[] | null; category?: string | null;
}

export const PROMOTION_CURRENCIES = ["INR", "USD", "EUR", "GBP"] as const;

export interface Conversation {
  id: number; customer_id: number; agent_id: number | null;
  /** open: waiting for an agent; assigned: an agent took it; closed */
  status: "open" | "assigned" | "closed"; created_at: string; updated_at: string;
}

export interface ChatMessage {
  id: number; conversation_id: number; sender_id: number; sender_role?: string; body: string;
  created_at: string;
}

/** /ws/analytics: counted by every gateway from the event tail (gateway/realtime/analytics.py). */
export interface AnalyticsMinute {
  minute: string; orders: number; events: number; by_type: Record<string, number>;
}

export interface AnalyticsSnapshot {
  type: "analytics"; counting_since: string; minutes: AnalyticsMinute[];
}

/** The gateway's one error body: {"error": {code, message, details}}. */
export interface GatewayErrorBody {
  code: string; message: string;
  details?: { fields?: Record<string, string[]> } & Record<string, unknown>;
}
