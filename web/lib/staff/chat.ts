/** Support chat over /ws/chat (gateway/realtime/channels.py), shared by the shopper's widget
 * and the staff inbox: a socket that signs in, reconnects with backoff and answers each action
 * by its `ref`, plus the pure bookkeeping of a conversation's messages.
 *
 * The gateway speaks plain WebSocket: {"action": ..., "ref": n} out; replies carry the ref back,
 * events are {"type": "chat.message", "data": {...}}, signals {"type": "typing", ...}.
 */
import { LiveSocket, type LiveState } from "@/lib/realtime";
import type { ChatMessage, Conversation } from "./types";

export interface ChatEvent {
  type: string;
  data?: Record<string, unknown>;
  [field: string]: unknown;
}

export interface ChatError { type: "error"; code: string; message: string; details?: unknown }

export interface ChatSocketOptions {
  onEvent: (event: ChatEvent) => void;
  onState?: (state: LiveState) => void;
  /** Ran after every (re)connect: open or join again, and reload the history. */
  onReady?: () => void;
}

/** /ws/chat with request/reply by `ref` on top of lib/realtime's LiveSocket (which signs in,
 * reconnects with backoff and reports "reconnecting" to the page). */
export class ChatSocket {
  private socket: LiveSocket;
  private nextRef = 1;
  private pending = new Map<number, { resolve: (m: ChatEvent) => void; reject: (e: ChatError) => void }>();
  state: LiveState = "connecting";

  constructor(private options: ChatSocketOptions) {
    this.socket = new LiveSocket("/ws/chat", {
      onMessage: (message) => this.receive(message as ChatEvent),
      onReady: () => options.onReady?.(),
      onState: (state) => {
        this.state = state;
        if (state !== "open") this.failPending("Connection lost; reconnecting…");
        options.onState?.(state);
      },
    });
  }

  close(): void {
    this.failPending("Closed.");
    this.socket.close();
  }

  /** An action and its reply; rejects with the gateway's {code, message} error. Refused at
   * once while the socket is down, so a form never waits on a dead connection. */
  request(action: string, fields: Record<string, unknown> = {}): Promise<ChatEvent> {
    if (this.state !== "open") {
      return Promise.reject({ type: "error", code: "not_connected",
        message: "Reconnecting to support… try again in a moment." } satisfies ChatError);
    }
    const ref = this.nextRef++;
    return new Promise((resolve, reject) => {
      this.pending.set(ref, { resolve, reject });
      this.socket.send({ action, ref, ...fields });
    });
  }

  /** Fire and forget (typing signals: no reply comes). */
  signal(action: string, fields: Record<string, unknown> = {}): void {
    if (this.state === "open") this.socket.send({ action, ...fields });
  }

  private failPending(message: string) {
    for (const { reject } of this.pending.values()) reject({ type: "error", code: "not_connected", message });
    this.pending.clear();
  }

  private receive(message: ChatEvent) {
    const ref = typeof message.ref === "number" ? message.ref : null;
    const waiter = ref !== null ? this.pending.get(ref) : undefined;
    if (waiter) {
      this.pending.delete(ref!);
      if (message.type === "error") waiter.reject(message as unknown as ChatError);
      else waiter.resolve(message);
      return;
    }
    this.options.onEvent(message);
  }
}

// ---- a conversation's messages, kept in order, each once ----------------------------------

/** Add messages (history pages, a "sent" reply, chat.message events) keeping ids unique and
 * the list oldest first: the sender hears its own message twice (the reply and the event). */
export function mergeMessages(current: ChatMessage[], incoming: ChatMessage[]): ChatMessage[] {
  const byId = new Map(current.map((m) => [m.id, m]));
  for (const m of incoming) byId.set(m.id, m);
  return [...byId.values()].sort((a, b) => a.id - b.id);
}

/** A chat.* event's data as a message, or null when it is not one. */
export function messageOf(event: ChatEvent): ChatMessage | null {
  if (event.type !== "chat.message" || !event.data) return null;
  const d = event.data as unknown as ChatMessage;
  return typeof d.id === "number" && typeof d.conversation_id === "number" ? d : null;
}

/** A chat.conversation_opened / chat.assigned / chat.conversation_closed event as the
 * conversation it describes. */
export function conversationOf(event: ChatEvent): Conversation | null {
  if (!event.type.startsWith("chat.") || event.type === "chat.message" || !event.data) return null;
  const d = event.data as Record<string, unknown>;
  const id = (d.conversation_id ?? d.id) as number | undefined;
  if (typeof id !== "number") return null;
  const status = event.type === "chat.conversation_closed" ? "closed"
    : event.type === "chat.assigned" ? "assigned" : ((d.status as Conversation["status"]) ?? "open");
  return {
    id, customer_id: d.customer_id as number, agent_id: (d.agent_id as number | null) ?? null,
    status, created_at: String(d.created_at ?? ""), updated_at: String(d.updated_at ?? ""),
  };
}

/** The inbox after a conversation changed: newest activity first, closed ones dropped. */
export function upsertConversation(list: Conversation[], changed: Conversation): Conversation[] {
  const rest = list.filter((c) => c.id !== changed.id);
  return changed.status === "closed" ? rest : [changed, ...rest];
}

/** How long "typing…" stays after the last signal. */
export const TYPING_SHOWN_MS = 3000;
/** Send at most one typing signal per this long while keys are pressed. */
export const TYPING_EVERY_MS = 1500;

/** What to show for a failed action: the gateway's message (REST ApiError or socket error). */
export function messageText(error: unknown): string {
  const e = error as { message?: unknown } | null;
  return e && typeof e.message === "string" ? e.message : "Something went wrong; please try again.";
}
