/** Checkout helpers (pure): the form → the gateway's order body, and which Idempotency-Key to send. */

export const ADDRESS_FIELDS = ["full_name", "line1", "line2", "city", "state", "postal_code", "country", "phone"] as const;
export type Address = Record<(typeof ADDRESS_FIELDS)[number], string>;
export type CardInput = { number: string; exp_month: number; exp_year: number; cvc: string; holder: string };

/** The sandbox cards (services/payments/sandbox.py) a shopper can try. */
export const TEST_CARDS = [
  { number: "4242 4242 4242 4242", label: "Succeeds" },
  { number: "4000 0000 0000 0002", label: "Declined" },
  { number: "4000 0000 0000 9995", label: "Insufficient funds" },
];

export type FieldErrors = Record<string, string>;

/** What the browser can tell before sending (the gateway still decides, and its word is shown). */
export function validateCheckout(address: Address, card: { number: string; exp: string; cvc: string; holder: string }): FieldErrors {
  const errors: FieldErrors = {};
  for (const f of ["full_name", "line1", "city", "state", "postal_code", "country", "phone"] as const) {
    if (!address[f]?.trim()) errors[f] = "Required.";
  }
  if (address.country && !/^[A-Za-z]{2}$/.test(address.country.trim())) errors.country = "A two-letter country code, e.g. IN.";
  const digits = card.number.replace(/\s+/g, "");
  if (!/^\d{12,19}$/.test(digits)) errors.card_number = "Enter the card number (12 to 19 digits).";
  if (!/^(0[1-9]|1[0-2])\/\d{2}$/.test(card.exp.trim())) errors.card_exp = "Expiry as MM/YY.";
  if (!/^\d{3,4}$/.test(card.cvc.trim())) errors.card_cvc = "3 or 4 digits.";
  if (!card.holder.trim() && !address.full_name?.trim()) errors.card_holder = "The name on the card.";
  return errors;
}

export function orderBody(address: Address, card: { number: string; exp: string; cvc: string; holder: string }) {
  const [mm, yy] = card.exp.trim().split("/");
  const shipping_address: Record<string, string> = {};
  for (const f of ADDRESS_FIELDS) {
    const v = address[f]?.trim();
    if (v) shipping_address[f] = f === "country" ? v.toUpperCase() : v;
  }
  return {
    shipping_address,
    payment_method: {
      card: {
        number: card.number.replace(/\s+/g, ""),
        exp_month: Number(mm),
        exp_year: 2000 + Number(yy),
        cvc: card.cvc.trim(),
        holder: card.holder.trim() || address.full_name.trim(),
      },
    },
  };
}

/**
 * One Idempotency-Key per distinct submit: a retry of the same body (after a network error or a
 * 5xx) reuses it, so the gateway answers with the first result instead of a second order; a
 * changed body, or a retry after a definite answer, gets a fresh key.
 */
export class SubmitKeys {
  private body: string | null = null;
  private key: string | null = null;
  constructor(private readonly make: () => string) {}

  keyFor(body: unknown): string {
    const text = JSON.stringify(body);
    if (this.key === null || this.body !== text) {
      this.body = text;
      this.key = this.make();
    }
    return this.key;
  }

  /** The gateway gave a definite answer (created, or a 4xx): the next submit is a new one. */
  settled(): void {
    this.key = null;
    this.body = null;
  }
}
