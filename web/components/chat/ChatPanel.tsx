"use client";
/** The support chat panel (loaded only when a shopper opens the widget, so it costs no page
 * any JavaScript before that): history, "Support is typing…", the message box. */
import Link from "next/link";
import { useCallback, useEffect, useRef, useState, type FormEvent, type KeyboardEvent, type ReactNode } from "react";
import { Send, X } from "lucide-react";
import { Button } from "@/components/ui/button";
import type { LiveState } from "@/lib/realtime";
import { staff as gateway } from "@/lib/staff/api";
import {
  ChatSocket, mergeMessages, messageOf, messageText, TYPING_EVERY_MS, TYPING_SHOWN_MS, type ChatEvent,
} from "@/lib/staff/chat";
import type { ChatMessage, Conversation } from "@/lib/staff/types";

function PanelFrame({ children, onClose }: { children: ReactNode; onClose: () => void }) {
  return (
    <section
      id="support-chat"
      aria-label="Support chat"
      data-testid="chat-panel"
      className="flex max-h-[70vh] w-[calc(100vw-2rem)] max-w-sm flex-col overflow-hidden rounded-lg border border-stone-200 bg-white shadow-xl"
      onKeyDown={(e) => {
        if (e.key === "Escape") onClose();
      }}
    >
      <header className="flex items-center justify-between border-b border-stone-200 bg-brand-soft px-3 py-2">
        <h2 className="text-sm font-semibold">Aarya support</h2>
        <button type="button" className="rounded p-1 hover:bg-stone-100" aria-label="Close chat" onClick={onClose}>
          <X aria-hidden className="h-4 w-4" />
        </button>
      </header>
      {children}
    </section>
  );
}

export function SignInFirst({ onClose }: { onClose: () => void }) {
  return (
    <PanelFrame onClose={onClose}>
      <p className="p-4 text-sm">
        <Link href="/signin/" className="font-medium text-brand underline">
          Sign in
        </Link>{" "}
        to chat with our team; your conversation stays with your account.
      </p>
    </PanelFrame>
  );
}

export default function ChatPanel({ userId, onClose }: { userId: number | null; onClose: () => void }) {
  if (userId === null) return <SignInFirst onClose={onClose} />;
  return <ConversationView userId={userId} onClose={onClose} />;
}

function ConversationView({ userId, onClose }: { userId: number; onClose: () => void }) {
  const [conversation, setConversation] = useState<Conversation | null>(null);
  const [messages, setMessages] = useState<ChatMessage[]>([]);
  const [state, setState] = useState<LiveState>("connecting");
  const [draft, setDraft] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [sending, setSending] = useState(false);
  const [typingUntil, setTypingUntil] = useState(0);
  const [, tick] = useState(0);
  const socketRef = useRef<ChatSocket | null>(null);
  const conversationRef = useRef<Conversation | null>(null);
  const lastTypingSent = useRef(0);
  const listRef = useRef<HTMLOListElement | null>(null);
  const inputRef = useRef<HTMLTextAreaElement | null>(null);
  conversationRef.current = conversation;

  const loadHistory = useCallback(async (conversationId: number) => {
    const socket = socketRef.current;
    if (!socket) return;
    const reply = await socket.request("history", { conversation_id: conversationId, limit: 50 });
    setMessages((current) => mergeMessages(current, (reply.messages as ChatMessage[]) ?? []));
  }, []);

  const onEvent = useCallback((event: ChatEvent) => {
    const current = conversationRef.current;
    const message = messageOf(event);
    if (message) {
      if (current && message.conversation_id === current.id) {
        setMessages((list) => mergeMessages(list, [message]));
        if (message.sender_id !== userId) setTypingUntil(0);
      }
      return;
    }
    if (event.type === "typing" && current && event.conversation_id === current.id && event.user_id !== userId) {
      setTypingUntil(Date.now() + TYPING_SHOWN_MS);
      return;
    }
    const data = event.data as Partial<Conversation> & { conversation_id?: number } | undefined;
    if (current && data?.conversation_id === current.id) {
      if (event.type === "chat.assigned") setConversation({ ...current, agent_id: data.agent_id ?? null, status: "assigned" });
      if (event.type === "chat.conversation_closed") setConversation({ ...current, status: "closed" });
    }
  }, [userId]);

  // One socket while the panel is open; on every (re)connect, find the open conversation and
  // reload its history, so nothing said while we were away is missing.
  useEffect(() => {
    const socket = new ChatSocket({
      onEvent,
      onState: setState,
      onReady: () => {
        void (async () => {
          try {
            let found = conversationRef.current;
            if (!found || found.status === "closed") {
              const { items } = await gateway.conversations();
              found = items.find((c) => c.status !== "closed") ?? null;
              setConversation(found);
            }
            if (found) await loadHistory(found.id);
          } catch (e) {
            setError(messageText(e));
          }
        })();
      },
    });
    socketRef.current = socket;
    return () => {
      socket.close();
      socketRef.current = null;
    };
  }, [onEvent, loadHistory]);

  useEffect(() => {
    listRef.current?.lastElementChild?.scrollIntoView({ block: "end" });
  }, [messages.length]);

  useEffect(() => {
    inputRef.current?.focus();
  }, []);

  useEffect(() => {
    if (!typingUntil) return;
    const t = setTimeout(() => tick((n) => n + 1), Math.max(0, typingUntil - Date.now()) + 50);
    return () => clearTimeout(t);
  }, [typingUntil]);

  async function send(e?: FormEvent) {
    e?.preventDefault();
    const body = draft.trim();
    if (!body) {
      setError("Write a message first.");
      return;
    }
    if (body.length > 4000) {
      setError("Messages are at most 4,000 characters.");
      return;
    }
    const socket = socketRef.current;
    if (!socket) return;
    setSending(true);
    setError(null);
    try {
      let current = conversationRef.current;
      if (!current || current.status === "closed") {
        const reply = await socket.request("open");
        current = reply.conversation as Conversation;
        conversationRef.current = current;
        setConversation(current);
        setMessages([]);
      }
      const reply = await socket.request("send", { conversation_id: current.id, body });
      setMessages((list) => mergeMessages(list, [reply.message as ChatMessage]));
      setDraft("");
    } catch (err) {
      setError(messageText(err));
    } finally {
      setSending(false);
    }
  }

  function onKeyDown(e: KeyboardEvent<HTMLTextAreaElement>) {
    if (e.key === "Enter" && !e.shiftKey) {
      e.preventDefault();
      void send();
    }
  }

  function onDraft(value: string) {
    setDraft(value);
    const current = conversationRef.current;
    const now = Date.now();
    if (current && current.status !== "closed" && value && now - lastTypingSent.current > TYPING_EVERY_MS) {
      lastTypingSent.current = now;
      socketRef.current?.signal("typing", { conversation_id: current.id });
    }
  }

  const agentTyping = typingUntil > Date.now();
  return (
    <PanelFrame onClose={onClose}>
      <div className="flex items-center justify-between px-3 py-1 text-xs text-stone-600" data-testid="chat-status" data-state={state}>
        <span>
          {conversation?.status === "assigned" ? "An agent is with you" : conversation ? "Waiting for an agent…" : "We usually answer within minutes"}
        </span>
        {state === "reconnecting" ? <span role="status" className="text-amber-800">Reconnecting…</span> : null}
      </div>
      <ol
        ref={listRef}
        aria-label="Messages"
        aria-live="polite"
        data-testid="chat-messages"
        className="flex min-h-40 flex-1 flex-col gap-2 overflow-y-auto px-3 py-2"
      >
        {messages.length === 0 ? <li className="text-sm text-stone-500">Ask us anything about sizes, orders or returns.</li> : null}
        {messages.map((m) => {
          const mine = m.sender_id === userId;
          return (
            <li
              key={m.id}
              data-testid="chat-message"
              data-mine={mine}
              className={`max-w-[85%] rounded-lg px-3 py-2 text-sm ${mine ? "self-end bg-brand text-white" : "self-start bg-stone-100"}`}
            >
              <span className="sr-only">{mine ? "You: " : "Support: "}</span>
              {m.body}
            </li>
          );
        })}
      </ol>
      <p className="h-5 px-3 text-xs italic text-stone-500" role="status" data-testid="chat-typing">
        {agentTyping ? "Support is typing…" : ""}
      </p>
      <form onSubmit={send} className="flex items-end gap-2 border-t border-stone-200 p-2" noValidate>
        <label htmlFor="chat-input" className="sr-only">
          Your message
        </label>
        <textarea
          id="chat-input"
          ref={inputRef}
          rows={2}
          value={draft}
          maxLength={4000}
          onChange={(e) => onDraft(e.target.value)}
          onKeyDown={onKeyDown}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? "chat-error" : undefined}
          className="min-h-10 flex-1 resize-none rounded-md border border-stone-300 px-2 py-1 text-sm"
          placeholder="Type a message…"
          data-testid="chat-input"
        />
        <Button type="submit" size="icon" aria-label="Send message" disabled={sending || state !== "open"} data-testid="chat-send">
          <Send aria-hidden className="h-4 w-4" />
        </Button>
      </form>
      {error ? (
        <p id="chat-error" role="alert" className="px-3 pb-2 text-xs text-red-700">
          {error}
        </p>
      ) : null}
    </PanelFrame>
  );
}
