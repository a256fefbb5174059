/** Display helpers (pure; prices are integer minor units from the gateway, never computed here). */

export function formatMoney(minor: number | null | undefined, currency = "INR"): string {
  if (minor === null || minor === undefined) return "—";
  try {
    return new Intl.NumberFormat("en-IN", { style: "currency", currency }).format(minor / 100);
  } catch {
    return `${(minor / 100).toFixed(2)} ${currency}`;
  }
}

const STATUS_LABELS: Record<string, string> = {
  pending: "Pending",
  payment_pending: "Awaiting payment",
  paid: "Paid",
  fulfilled: "Packed",
  shipped: "Shipped",
  delivered: "Delivered",
  payment_failed: "Payment failed",
  cancelled: "Cancelled",
  refunded: "Refunded",
};

export function orderStatusLabel(status: string): string {
  return STATUS_LABELS[status] ?? status.replace(/_/g, " ");
}

const FAILURE_MESSAGES: Record<string, string> = {
  card_declined: "Your card was declined. No money was taken; try another card.",
  insufficient_funds: "The card has insufficient funds. No money was taken; try another card.",
  provider_timeout: "The card provider did not answer in time. No money was taken; please retry.",
  expired_card: "The card has expired.",
  incorrect_cvc: "The security code (CVC) is wrong.",
};

export function paymentFailureMessage(code: string | null | undefined): string {
  if (!code) return "The payment did not go through. No money was taken.";
  return FAILURE_MESSAGES[code] ?? `The payment did not go through (${code.replace(/_/g, " ")}).`;
}

export function stockLabel(count: number, threshold = 5): string {
  if (count <= 0) return "Out of stock";
  if (count <= threshold) return `Only ${count} left`;
  return `${count} in stock`;
}

/** Query-string helpers for the static export's dynamic pages (/product?id=12). */
export function positiveIntParam(value: string | null | undefined): number | null {
  if (!value || !/^\d+$/.test(value)) return null;
  const n = Number(value);
  return n > 0 && Number.isSafeInteger(n) ? n : null;
}
