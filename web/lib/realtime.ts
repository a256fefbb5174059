/**
 * Live data from the gateway: native WebSocket (/ws/...) and EventSource (/sse/...). The gateway
 * speaks plain WebSocket (flask-sock), not Socket.io.
 *
 *   const sock = new LiveSocket("/ws/orders", { onMessage: (m) => ..., onState: (s) => ... });
 *   sock.send({ action: "subscribe", product_ids: [12] });   // queued until "ready"
 *   const feed = new LiveFeed("/sse/product-updates", { onEvent: (e) => ..., onState });
 *
 * Both reconnect after a cut with exponential backoff (`backoffDelay`); a LiveFeed resumes from
 * the last event id it saw (`?last_event_id=`, what the gateway's SSE reads when the browser
 * cannot set Last-Event-ID itself) and EventSource's own retries send the Last-Event-ID header.
 * State is "connecting" (first try), "open", "reconnecting" (lost, trying again) or "closed"
 * (closed by us, or refused for good: a bad token after a refresh, a staff-only channel).
 * Every live connection reports to `liveStatus`, so the header can say "reconnecting".
 */
import { freshAccessToken, refreshSession } from "./api";

export type LiveState = "connecting" | "open" | "reconnecting" | "closed";

/** An event as the gateway sends it on both transports. */
export type LiveEvent<D = Record<string, unknown>> = {
  type: string;
  id?: string;
  event_id?: string;
  occurred_at?: string;
  data: D;
};

/** Full jitter-free exponential backoff: 0.5 s, 1 s, 2 s, ... capped at `max`. */
export function backoffDelay(attempt: number, base = 500, max = 10_000): number {
  const n = Math.max(0, Math.floor(attempt));
  return Math.min(max, base * 2 ** Math.min(n, 20));
}

// ---- the page-wide status (the header's "reconnecting" badge) ------------------------------

type StatusListener = (worst: LiveState | null) => void;
const states = new Map<number, LiveState>();
const statusListeners = new Set<StatusListener>();
let nextId = 1;

function worst(): LiveState | null {
  const values = [...states.values()].filter((s) => s !== "closed");
  if (values.includes("reconnecting")) return "reconnecting";
  if (values.includes("connecting")) return "connecting";
  return values.length ? "open" : null;
}

export const liveStatus = {
  report(id: number, state: LiveState | null) {
    if (state === null) states.delete(id);
    else states.set(id, state);
    const w = worst();
    statusListeners.forEach((l) => l(w));
  },
  current: worst,
  subscribe(listener: StatusListener): () => void {
    statusListeners.add(listener);
    return () => statusListeners.delete(listener);
  },
};

function wsUrl(path: string, token: string | null): string {
  const proto = window.location.protocol === "https:" ? "wss:" : "ws:";
  const q = token ? `${path.includes("?") ? "&" : "?"}access_token=${encodeURIComponent(token)}` : "";
  return `${proto}//${window.location.host}${path}${q}`;
}

// ---- WebSocket ------------------------------------------------------------------------------

export type LiveSocketOptions = {
  onMessage?: (message: LiveEvent & Record<string, unknown>) => void;
  onState?: (state: LiveState) => void;
  /** Called on every "ready" (first and after each reconnect): resubscribe here. */
  onReady?: (ready: Record<string, unknown>) => void;
  /** Where the token comes from (default: the signed-in session, refreshed when near expiry). */
  token?: () => Promise<string | null>;
};

/** Close codes after which trying again cannot help (policy violation once already refreshed). */
const POLICY_VIOLATION = 1008;

export class LiveSocket {
  readonly path: string;
  state: LiveState = "connecting";
  private ws: WebSocket | null = null;
  private opts: LiveSocketOptions;
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;
  private ready = false;
  private outbox: string[] = [];
  private readonly statusId = nextId++;
  private refreshedForPolicy = false;

  constructor(path: string, opts: LiveSocketOptions = {}) {
    this.path = path;
    this.opts = opts;
    this.setState("connecting");
    void this.connect();
  }

  /** Send an action; before "ready" it waits in a queue (sent in order once ready). */
  send(message: Record<string, unknown>): void {
    const text = JSON.stringify(message);
    if (this.ws && this.ready && this.ws.readyState === WebSocket.OPEN) this.ws.send(text);
    else this.outbox.push(text);
  }

  close(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.ws?.close(1000);
    this.setState("closed");
    liveStatus.report(this.statusId, null);
  }

  private setState(state: LiveState) {
    this.state = state;
    liveStatus.report(this.statusId, state);
    this.opts.onState?.(state);
  }

  private async connect() {
    if (this.stopped) return;
    const token = await (this.opts.token ?? freshAccessToken)();
    if (this.stopped) return;
    const ws = new WebSocket(wsUrl(this.path, token));
    this.ws = ws;
    this.ready = false;
    ws.onmessage = (ev) => {
      let msg: LiveEvent & Record<string, unknown>;
      try {
        msg = JSON.parse(String(ev.data));
      } catch {
        return;
      }
      if (msg.type === "ready") {
        this.ready = true;
        this.attempt = 0;
        this.refreshedForPolicy = false;
        this.setState("open");
        this.opts.onReady?.(msg);
        const queued = this.outbox.splice(0);
        queued.forEach((t) => ws.send(t));
        return;
      }
      this.opts.onMessage?.(msg);
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws || this.stopped) return;
      this.ready = false;
      if (ev.code === POLICY_VIOLATION) {
        // Expired or revoked token: refresh once and retry; refused again means signed out.
        if (this.refreshedForPolicy) {
          this.setState("closed");
          return;
        }
        this.refreshedForPolicy = true;
        void refreshSession().then(() => this.schedule());
        return;
      }
      this.schedule();
    };
  }

  private schedule() {
    if (this.stopped) return;
    this.setState("reconnecting");
    const delay = backoffDelay(this.attempt++);
    this.timer = setTimeout(() => void this.connect(), delay);
  }
}

// ---- server-sent events ---------------------------------------------------------------------

export type LiveFeedOptions = {
  /** Event types to listen for (the gateway names each SSE event by its type). */
  events: string[];
  onEvent?: (event: LiveEvent) => void;
  onState?: (state: LiveState) => void;
  /** The gateway could not resume from our last id: reload what the page shows. */
  onReset?: () => void;
};

export class LiveFeed {
  readonly path: string;
  state: LiveState = "connecting";
  lastEventId: string | null = null;
  private es: EventSource | null = null;
  private opts: LiveFeedOptions;
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;
  private readonly statusId = nextId++;

  constructor(path: string, opts: LiveFeedOptions) {
    this.path = path;
    this.opts = opts;
    this.setState("connecting");
    this.connect();
  }

  close(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.es?.close();
    this.setState("closed");
    liveStatus.report(this.statusId, null);
  }

  private setState(state: LiveState) {
    this.state = state;
    liveStatus.report(this.statusId, state);
    this.opts.onState?.(state);
  }

  private connect() {
    if (this.stopped) return;
    const sep = this.path.includes("?") ? "&" : "?";
    const url = this.lastEventId
      ? `${this.path}${sep}last_event_id=${encodeURIComponent(this.lastEventId)}`
      : this.path;
    const es = new EventSource(url);
    this.es = es;
    es.addEventListener("ready", (ev) => {
      const id = (ev as MessageEvent).lastEventId;
      if (id) this.lastEventId = id;
      this.attempt = 0;
      this.setState("open");
    });
    es.addEventListener("reset", () => this.opts.onReset?.());
    for (const type of this.opts.events) {
      es.addEventListener(type, (ev) => {
        const m = ev as MessageEvent;
        if (m.lastEventId) this.lastEventId = m.lastEventId;
        try {
          this.opts.onEvent?.(JSON.parse(String(m.data)) as LiveEvent);
        } catch {
          /* a malformed frame is skipped; the next one still counts */
        }
      });
    }
    es.onerror = () => {
      if (this.es !== es || this.stopped) return;
      if (es.readyState === EventSource.CONNECTING) {
        this.setState("reconnecting"); // the browser retries itself, with Last-Event-ID
        return;
      }
      es.close(); // refused (e.g. 503 while the gateway's feed starts): our own backoff
      this.setState("reconnecting");
      this.timer = setTimeout(() => this.connect(), backoffDelay(this.attempt++));
    };
  }
}
