"use client";
/** The shop's data as the gateway answers it, and the React Query hooks the pages share. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, ApiError } from "./api";

export type Ref = { id: number; name: string; slug: string };

export type ProductCard = {
  id: number;
  name: string;
  slug: string;
  price: number;
  currency: string;
  brand: Ref;
  category: Ref;
  rating: { avg: number; count: number };
  image_url: string | null;
  in_stock: boolean;
};

export type Variant = {
  id: number;
  product_id: number;
  sku: string;
  size: string | null;
  colour: string | null;
  price: number;
  currency: string;
  inventory_count: number;
  low_stock_threshold: number;
  availability: "in_stock" | "low_stock" | "out_of_stock";
  is_active: boolean;
};

export type Product = Omit<ProductCard, "image_url" | "in_stock"> & {
  description: string | null;
  is_active: boolean;
  category: Ref & { path: Ref[] };
  variants: Variant[];
  images: { id: number; url: string; alt_text: string | null }[];
};

export type Page<T> = { items: T[]; next_cursor?: string | null; [k: string]: unknown };

export type CartLine = {
  variant_id: number;
  product_id: number | null;
  sku: string | null;
  name: string | null;
  size: string | null;
  colour: string | null;
  quantity: number;
  unit_price: number | null;
  currency: string | null;
  line_total: number | null;
  available_quantity: number;
  in_stock: boolean;
  availability: string;
  problems: { code: string; message: string; [k: string]: unknown }[] | string[];
};

export type Cart = {
  lines: CartLine[];
  item_count: number;
  total_quantity: number;
  subtotal: number | null;
  currency: string | null;
  checkout_ready: boolean;
};

export type Order = {
  id: number;
  order_ref: string;
  status: string;
  status_reason: string | null;
  currency: string;
  subtotal_amount: number;
  total_amount: number;
  total_quantity: number;
  items: { variant_id: number; product_id?: number; name?: string; sku?: string; quantity: number; unit_price?: number; line_total?: number; [k: string]: unknown }[];
  shipping_address: Record<string, string | null> | null;
  payment: { payment_id: string | null; status: string | null; failure_code: string | null; next_action: unknown };
  created_at: string;
  paid_at: string | null;
};

export const keys = {
  cart: ["cart"] as const,
  product: (id: number) => ["product", id] as const,
  products: (qs: string) => ["products", qs] as const,
  order: (id: number) => ["order", id] as const,
  orders: ["orders"] as const,
};

export function useCart() {
  return useQuery({ queryKey: keys.cart, queryFn: () => api<Cart>("/api/cart"), staleTime: 5_000 });
}

export function useProduct(id: number | null) {
  return useQuery({
    queryKey: keys.product(id ?? 0),
    queryFn: () => api<Product>(`/api/products/${id}`),
    enabled: id !== null,
  });
}

/** Add/update/remove a cart line; the gateway answers the whole cart, which becomes the cache. */
export function useCartMutation() {
  const qc = useQueryClient();
  return useMutation<Cart, ApiError, { variantId: number; quantity: number; mode: "add" | "set" | "remove" }>({
    mutationFn: ({ variantId, quantity, mode }) =>
      mode === "add"
        ? api<Cart>("/api/cart/items", { method: "POST", body: { variant_id: variantId, quantity } })
        : mode === "set"
          ? api<Cart>(`/api/cart/items/${variantId}`, { method: "PATCH", body: { quantity } })
          : api<Cart>(`/api/cart/items/${variantId}`, { method: "DELETE" }),
    onSuccess: (cart) => qc.setQueryData(keys.cart, cart),
  });
}

/** A route that may not exist yet (recommendations, analytics): null on 404, never an error page. */
export async function optionalApi<T>(path: string): Promise<T | null> {
  try {
    return await api<T>(path);
  } catch (e) {
    if (e instanceof ApiError && (e.status === 404 || e.status === 405 || e.status === 501)) return null;
    throw e;
  }
}

export function lineProblem(line: CartLine): string | null {
  const p = line.problems?.[0];
  if (!p) return null;
  if (typeof p === "string") return p.replace(/_/g, " ");
  return p.message || p.code.replace(/_/g, " ");
}
