"use client";
/**
 * The support inbox: conversations waiting for an agent and the ones this agent has, kept
 * live over /ws/chat (staff sockets hear every conversation opened, assigned or closed, and
 * every message of their own conversations). An agent takes a waiting conversation
 * ({"action": "join"} → chat_assign), reads its history and answers; the customer's typing
 * shows as "Customer is typing…". A waiting conversation's messages are visible only after
 * taking it (the notifications service shows a conversation to its customer and its agent).
 */
import { useCallback, useEffect, useRef, useState, type FormEvent, type KeyboardEvent } from "react";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { FormError } from "@/components/ui/field";
import { LiveBadge } from "@/components/LiveIndicator";
import { useAuth } from "@/lib/auth";
import type { LiveState } from "@/lib/realtime";
import { staff } from "@/lib/staff/api";
import {
  ChatSocket, conversationOf, mergeMessages, messageOf, messageText, upsertConversation, TYPING_EVERY_MS, TYPING_SHOWN_MS,
  type ChatEvent,
} from "@/lib/staff/chat";
import type { ChatMessage, Conversation } from "@/lib/staff/types";
import { cn } from "@/lib/utils";
import { StaffHeading } from "./StaffShell";

export function ChatInbox() {
  const { user } = useAuth();
  const me = user!.id;
  const [conversations, setConversations] = useState<Conversation[]>([]);
  const [selected, setSelected] = useState<number | null>(null);
  const [messages, setMessages] = useState<Record<number, ChatMessage[]>>({});
  const [unread, setUnread] = useState<Record<number, number>>({});
  const [typing, setTyping] = useState<Record<number, number>>({});
  const [state, setState] = useState<LiveState>("connecting");
  const [error, setError] = useState<string | null>(null);
  const socketRef = useRef<ChatSocket | null>(null);
  const selectedRef = useRef<number | null>(null);
  selectedRef.current = selected;

  const loadHistory = useCallback(async (conversationId: number) => {
    const reply = await socketRef.current!.request("history", { conversation_id: conversationId, limit: 100 });
    setMessages((all) => ({ ...all, [conversationId]: mergeMessages(all[conversationId] ?? [], (reply.messages as ChatMessage[]) ?? []) }));
  }, []);

  const onEvent = useCallback((event: ChatEvent) => {
    const message = messageOf(event);
    if (message) {
      const id = message.conversation_id;
      setMessages((all) => ({ ...all, [id]: mergeMessages(all[id] ?? [], [message]) }));
      if (message.sender_id !== me) {
        setTyping((t) => ({ ...t, [id]: 0 }));
        if (selectedRef.current !== id) setUnread((u) => ({ ...u, [id]: (u[id] ?? 0) + 1 }));
      }
      setConversations((list) => {
        const found = list.find((c) => c.id === id);
        return found ? upsertConversation(list, { ...found, updated_at: message.created_at }) : list;
      });
      return;
    }
    if (event.type === "typing" && typeof event.conversation_id === "number" && event.user_id !== me) {
      const id = event.conversation_id;
      setTyping((t) => ({ ...t, [id]: Date.now() + TYPING_SHOWN_MS }));
      return;
    }
    const changed = conversationOf(event);
    if (!changed) return;
    // Taken by another agent: no longer ours to show.
    const gone = changed.status === "closed" || (changed.status === "assigned" && changed.agent_id !== me);
    setConversations((list) => (gone ? list.filter((c) => c.id !== changed.id) : upsertConversation(list, changed)));
    if (gone && selectedRef.current === changed.id && changed.status !== "closed") setSelected(null);
  }, [me]);

  // On every (re)connect: the list from REST, and the open conversation's history again, so
  // nothing said while the socket was down is missing.
  useEffect(() => {
    const socket = new ChatSocket({
      onEvent,
      onState: setState,
      onReady: () => {
        void (async () => {
          try {
            const { items } = await staff.conversations();
            setConversations(items.filter((c) => c.status !== "closed"));
            const current = selectedRef.current;
            if (current && items.some((c) => c.id === current && c.agent_id === me)) await loadHistory(current);
          } catch (e) {
            setError(messageText(e));
          }
        })();
      },
    });
    socketRef.current = socket;
    return () => socket.close();
  }, [onEvent, loadHistory, me]);

  const open = async (c: Conversation) => {
    setSelected(c.id);
    setUnread((u) => ({ ...u, [c.id]: 0 }));
    setError(null);
    if (c.agent_id === me) {
      try {
        await loadHistory(c.id);
      } catch (e) {
        setError(messageText(e));
      }
    }
  };

  const take = async (c: Conversation) => {
    setError(null);
    try {
      const reply = await socketRef.current!.request("join", { conversation_id: c.id });
      const taken = reply.conversation as Conversation;
      setConversations((list) => upsertConversation(list, taken));
      setSelected(taken.id);
      await loadHistory(taken.id);
    } catch (e) {
      setError(messageText(e));
    }
  };

  const close = async (c: Conversation) => {
    setError(null);
    try {
      await staff.close(c.id);
      setConversations((list) => list.filter((x) => x.id !== c.id));
      setSelected(null);
    } catch (e) {
      setError(messageText(e));
    }
  };

  const waiting = conversations.filter((c) => c.status === "open");
  const mine = conversations.filter((c) => c.status === "assigned" && c.agent_id === me);
  const current = conversations.find((c) => c.id === selected) ?? null;

  return (
    <div>
      <StaffHeading title="Chat inbox">
        <LiveBadge state={state} />
      </StaffHeading>
      <FormError message={error} testId="chat-inbox-error" />
      <div className="grid gap-4 md:grid-cols-[16rem_1fr]">
        <div className={cn("space-y-4", current && "hidden md:block")}>
          <ConversationList title="Waiting" items={waiting} selected={selected} unread={unread} onOpen={open} testId="chat-waiting" empty="Nobody is waiting." />
          <ConversationList title="Mine" items={mine} selected={selected} unread={unread} onOpen={open} testId="chat-mine" empty="No conversations taken." />
        </div>
        {current ? (
          <ConversationPane
            key={current.id}
            conversation={current}
            me={me}
            messages={messages[current.id] ?? []}
            typingUntil={typing[current.id] ?? 0}
            socket={socketRef}
            online={state === "open"}
            onTake={() => void take(current)}
            onClose={() => void close(current)}
            onBack={() => setSelected(null)}
          />
        ) : (
          <p className="hidden text-sm text-stone-500 md:block">Pick a conversation.</p>
        )}
      </div>
    </div>
  );
}

function ConversationList({ title, items, selected, unread, onOpen, testId, empty }: {
  title: string; items: Conversation[]; selected: number | null; unread: Record<number, number>;
  onOpen: (c: Conversation) => void; testId: string; empty: string;
}) {
  return (
    <section aria-label={`${title} conversations`}>
      <h2 className="mb-1 text-sm font-semibold uppercase tracking-wide text-stone-500">
        {title} <span className="tabular-nums">({items.length})</span>
      </h2>
      <ul className="divide-y divide-stone-100 rounded-lg border border-stone-200 bg-white" data-testid={testId}>
        {items.length === 0 ? <li className="px-3 py-2 text-sm text-stone-500">{empty}</li> : null}
        {items.map((c) => (
          <li key={c.id}>
            <button
              type="button"
              onClick={() => onOpen(c)}
              aria-current={c.id === selected ? "true" : undefined}
              data-testid="chat-conversation"
              data-conversation-id={c.id}
              data-customer-id={c.customer_id}
              className={cn("flex w-full items-center justify-between px-3 py-2 text-left text-sm hover:bg-stone-50", c.id === selected && "bg-brand-soft")}
            >
              <span>
                Customer #{c.customer_id}
                <span className="block text-xs text-stone-500">since {new Date(c.created_at).toLocaleTimeString()}</span>
              </span>
              {unread[c.id] ? (
                <Badge variant="warning" aria-label={`${unread[c.id]} unread`}>
                  {unread[c.id]}
                </Badge>
              ) : null}
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}

function ConversationPane({ conversation, me, messages, typingUntil, socket, online, onTake, onClose, onBack }: {
  conversation: Conversation; me: number; messages: ChatMessage[]; typingUntil: number;
  socket: React.RefObject<ChatSocket | null>; online: boolean;
  onTake: () => void; onClose: () => void; onBack: () => void;
}) {
  const [draft, setDraft] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [sending, setSending] = useState(false);
  const [, tick] = useState(0);
  const lastTyping = useRef(0);
  const listRef = useRef<HTMLOListElement | null>(null);
  const mine = conversation.agent_id === me;

  useEffect(() => {
    listRef.current?.lastElementChild?.scrollIntoView({ block: "end" });
  }, [messages.length]);
  useEffect(() => {
    if (!typingUntil) return;
    const t = setTimeout(() => tick((n) => n + 1), Math.max(0, typingUntil - Date.now()) + 50);
    return () => clearTimeout(t);
  }, [typingUntil]);

  async function send(e?: FormEvent) {
    e?.preventDefault();
    const body = draft.trim();
    if (!body) return setError("Write a reply first.");
    setSending(true);
    setError(null);
    try {
      await socket.current!.request("send", { conversation_id: conversation.id, body });
      setDraft("");
    } catch (err) {
      setError(messageText(err));
    } finally {
      setSending(false);
    }
  }

  function onDraft(value: string) {
    setDraft(value);
    const now = Date.now();
    if (value && now - lastTyping.current > TYPING_EVERY_MS) {
      lastTyping.current = now;
      socket.current?.signal("typing", { conversation_id: conversation.id });
    }
  }

  function onKeyDown(e: KeyboardEvent<HTMLTextAreaElement>) {
    if (e.key === "Enter" && !e.shiftKey) {
      e.preventDefault();
      void send();
    }
  }

  return (
    <section aria-label={`Conversation with customer #${conversation.customer_id}`} className="flex min-h-80 flex-col rounded-lg border border-stone-200 bg-white" data-testid="chat-pane">
      <header className="flex flex-wrap items-center justify-between gap-2 border-b border-stone-200 px-3 py-2">
        <div className="flex items-center gap-2">
          <Button type="button" variant="ghost" size="sm" className="md:hidden" onClick={onBack}>
            ← Back
          </Button>
          <h2 className="font-semibold">Customer #{conversation.customer_id}</h2>
          <Badge variant={mine ? "success" : "warning"}>{mine ? "Yours" : "Waiting"}</Badge>
        </div>
        {mine ? (
          <Button type="button" variant="outline" size="sm" onClick={onClose}>
            Close conversation
          </Button>
        ) : null}
      </header>
      {mine ? (
        <>
          <ol ref={listRef} aria-label="Messages" aria-live="polite" className="flex max-h-[55vh] flex-1 flex-col gap-2 overflow-y-auto p-3" data-testid="chat-pane-messages">
            {messages.length === 0 ? <li className="text-sm text-stone-500">No messages yet.</li> : null}
            {messages.map((m) => {
              const ours = m.sender_id === me;
              return (
                <li key={m.id} data-testid="chat-pane-message" data-mine={ours}
                  className={cn("max-w-[85%] rounded-lg px-3 py-2 text-sm", ours ? "self-end bg-brand text-white" : "self-start bg-stone-100")}>
                  <span className="sr-only">{ours ? "You: " : "Customer: "}</span>
                  {m.body}
                  <time className="mt-0.5 block text-[10px] opacity-70" dateTime={m.created_at}>
                    {new Date(m.created_at).toLocaleTimeString()}
                  </time>
                </li>
              );
            })}
          </ol>
          <p className="h-5 px-3 text-xs italic text-stone-500" role="status" data-testid="chat-pane-typing">
            {typingUntil > Date.now() ? "Customer is typing…" : ""}
          </p>
          <form onSubmit={send} noValidate className="flex items-end gap-2 border-t border-stone-200 p-2">
            <label htmlFor="agent-reply" className="sr-only">
              Reply
            </label>
            <textarea id="agent-reply" rows={2} value={draft} maxLength={4000} onChange={(e) => onDraft(e.target.value)} onKeyDown={onKeyDown}
              aria-invalid={error ? true : undefined} aria-describedby={error ? "agent-reply-error" : undefined}
              className="min-h-10 flex-1 resize-none rounded-md border border-stone-300 px-2 py-1 text-sm" placeholder="Reply…" data-testid="agent-reply" />
            <Button type="submit" disabled={sending || !online} data-testid="agent-send">
              Send
            </Button>
          </form>
          {error ? <p id="agent-reply-error" role="alert" className="px-3 pb-2 text-xs text-red-700">{error}</p> : null}
        </>
      ) : (
        <div className="space-y-3 p-4 text-sm">
          <p>This customer is waiting for an agent. Take the conversation to read it and answer.</p>
          <Button type="button" onClick={onTake} disabled={!online} data-testid="chat-take">
            Take conversation
          </Button>
        </div>
      )}
    </section>
  );
}
