/**
 * The one way the browser talks to the gateway's REST API (same origin: web/server.mjs proxies
 * /api to the gateway).
 *
 *   const cart = await api<Cart>("/api/cart");
 *   await api("/api/orders", { method: "POST", body, idempotencyKey: key });
 *
 * - A JSON error body {"error": {"code", "message", "details"}} becomes an `ApiError` with the
 *   gateway's status, code, message and details (forms show `message` beside the field named in
 *   `details.fields`). Anything else that fails is an ApiError too ("network_error", "http_502").
 * - The access token (kept with the refresh token in localStorage by `session`) is sent as a
 *   Bearer token; a 401 refreshes the pair once (one refresh at a time for the whole page) and
 *   retries. A refused refresh signs the page out.
 * - The guest cart rides on the gateway's HttpOnly cookie, so requests are `same-origin`.
 */

export type ErrorDetails = Record<string, unknown> & { fields?: Record<string, unknown> };

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: ErrorDetails;

  constructor(status: number, code: string, message: string, details: ErrorDetails = {}) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.details = details;
  }

  /** The gateway's message for one form field, if it named that field ("a.b" for nested). */
  fieldMessage(field: string): string | undefined {
    return fieldMessageIn(this.details?.fields, field);
  }
}

/** details.fields may be flat ({"phone": [...]}) or nested ({"shipping_address": {"phone": [...]}}). */
export function fieldMessageIn(fields: unknown, field: string): string | undefined {
  if (!fields || typeof fields !== "object") return undefined;
  const flat = (fields as Record<string, unknown>)[field];
  let value: unknown = flat;
  if (value === undefined) {
    value = field.split(".").reduce<unknown>((node, part) => (node && typeof node === "object" ? (node as Record<string, unknown>)[part] : undefined), fields);
  }
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value)) return value.map(String).join(" ");
  return typeof value === "object" ? undefined : String(value);
}

/** The gateway's error body, or a generic one for a non-JSON answer (a proxy's 502 page). */
export function errorFromBody(status: number, body: unknown): ApiError {
  const err = (body as { error?: { code?: unknown; message?: unknown; details?: unknown } } | null)
    ?.error;
  if (err && typeof err.code === "string") {
    const message = typeof err.message === "string" ? err.message : err.code;
    const details = err.details && typeof err.details === "object" ? (err.details as ErrorDetails) : {};
    return new ApiError(status, err.code, message, details);
  }
  return new ApiError(status, `http_${status}`, `The shop answered ${status}; please try again.`);
}

// ---- the session: tokens in localStorage, shared by every tab ------------------------------

export type Tokens = {
  access_token: string;
  refresh_token: string;
  expires_in: number;
  token_type?: string;
};

export type StoredSession = Tokens & { expires_at: number };

const STORAGE_KEY = "aarya.session";
type Listener = (s: StoredSession | null) => void;
const listeners = new Set<Listener>();

function readStored(): StoredSession | null {
  if (typeof window === "undefined") return null;
  try {
    const raw = window.localStorage.getItem(STORAGE_KEY);
    return raw ? (JSON.parse(raw) as StoredSession) : null;
  } catch {
    return null;
  }
}

export const session = {
  get(): StoredSession | null {
    return readStored();
  },
  set(tokens: Tokens | null): void {
    if (typeof window === "undefined") return;
    if (tokens) {
      const stored: StoredSession = { ...tokens, expires_at: Date.now() + tokens.expires_in * 1000 };
      window.localStorage.setItem(STORAGE_KEY, JSON.stringify(stored));
    } else {
      window.localStorage.removeItem(STORAGE_KEY);
    }
    const now = readStored();
    listeners.forEach((l) => l(now));
  },
  subscribe(listener: Listener): () => void {
    listeners.add(listener);
    const onStorage = (e: StorageEvent) => {
      if (e.key === STORAGE_KEY) listener(readStored());
    };
    window.addEventListener("storage", onStorage);
    return () => {
      listeners.delete(listener);
      window.removeEventListener("storage", onStorage);
    };
  },
};

let refreshing: Promise<StoredSession | null> | null = null;

/** Rotate the refresh token (one request at a time for the page); null if it was refused. */
export function refreshSession(): Promise<StoredSession | null> {
  const current = session.get();
  if (!current) return Promise.resolve(null);
  if (!refreshing) {
    refreshing = (async () => {
      try {
        const res = await fetch("/api/auth/refresh", {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ refresh_token: current.refresh_token }),
          credentials: "same-origin",
        });
        if (res.ok) {
          session.set((await res.json()) as Tokens);
        } else if (res.status === 401 || res.status === 400) {
          session.set(null); // revoked or rotated elsewhere: signed out
        }
        return session.get();
      } catch {
        return session.get(); // offline: keep the pair, a later call retries
      } finally {
        refreshing = null;
      }
    })();
  }
  return refreshing;
}

const REFRESH_MARGIN_MS = 30_000;

/** An access token good for at least half a minute (refreshing first if needed), or null. */
export async function freshAccessToken(): Promise<string | null> {
  const current = session.get();
  if (!current) return null;
  if (current.expires_at - Date.now() > REFRESH_MARGIN_MS) return current.access_token;
  const renewed = await refreshSession();
  return renewed?.access_token ?? null;
}

// ---- requests ------------------------------------------------------------------------------

export type ApiOptions = {
  method?: "GET" | "POST" | "PATCH" | "PUT" | "DELETE";
  body?: unknown;
  headers?: Record<string, string>;
  /** Sent as the Idempotency-Key header (orders, payments, refunds). */
  idempotencyKey?: string;
  /** false: never send the token (sign-in, sign-up). */
  auth?: boolean;
  signal?: AbortSignal;
};

async function send(path: string, opts: ApiOptions, token: string | null): Promise<Response> {
  const headers: Record<string, string> = { Accept: "application/json", ...(opts.headers ?? {}) };
  if (opts.body !== undefined) headers["Content-Type"] = "application/json";
  if (token) headers["Authorization"] = `Bearer ${token}`;
  if (opts.idempotencyKey) headers["Idempotency-Key"] = opts.idempotencyKey;
  return fetch(path, {
    method: opts.method ?? "GET",
    headers,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    credentials: "same-origin",
    signal: opts.signal,
  });
}

export async function api<T = unknown>(path: string, opts: ApiOptions = {}): Promise<T> {
  const useAuth = opts.auth !== false;
  let res: Response;
  try {
    const token = useAuth ? await freshAccessToken() : null;
    res = await send(path, opts, token);
    if (res.status === 401 && useAuth && session.get()) {
      const renewed = await refreshSession();
      if (renewed) res = await send(path, opts, renewed.access_token);
    }
  } catch (e) {
    if ((e as Error)?.name === "AbortError") throw e;
    throw new ApiError(0, "network_error", "Cannot reach the shop. Check your connection and retry.");
  }
  const text = await res.text();
  let body: unknown = null;
  if (text) {
    try {
      body = JSON.parse(text);
    } catch {
      body = null;
    }
  }
  if (!res.ok) throw errorFromBody(res.status, body);
  return body as T;
}

/** A fresh random Idempotency-Key; keep it for retries of the same submit. */
export function newIdempotencyKey(prefix = "web"): string {
  const c = globalThis.crypto;
  const id = c && "randomUUID" in c ? c.randomUUID() : `${Date.now()}-${Math.random().toString(16).slice(2)}`;
  return `${prefix}-${id}`;
}
