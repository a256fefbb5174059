"use client";
/**
 * The shopper's support chat: a button at the bottom right that opens a panel with the
 * conversation's history, a "Support is typing…" line and a message box.
 *
 * Live over /ws/chat (lib/staff/chat.ts): the conversation is started on the first message
 * ({"action": "open"}), not when the panel opens, so staff never see empty conversations
 * waiting. A returning shopper's open conversation is found with GET /api/chat/conversations
 * and its history loaded over the socket (which also joins its typing signals). Staff get no
 * widget: they answer in /staff/chat.
 */
import { usePathname } from "next/navigation";
import { lazy, Suspense, useState } from "react";
import { MessageCircle } from "lucide-react";
import { Button } from "@/components/ui/button";
import { useAuth } from "@/lib/auth";
import { isStaff } from "@/lib/staff/types";

// The panel (socket, history, form) loads on the first click, not with every page.
const ChatPanel = lazy(() => import("./ChatPanel"));

export function ChatWidget() {
  const { user, ready } = useAuth();
  const pathname = usePathname() ?? "";
  const [open, setOpen] = useState(false);
  if (!ready || isStaff(user?.role) || pathname.startsWith("/staff")) return null;
  return (
    <div className="fixed bottom-4 right-4 z-40 flex flex-col items-end gap-2">
      {open ? (
        <Suspense fallback={<p role="status" className="rounded bg-white px-3 py-2 text-sm shadow">Opening chat…</p>}>
          <ChatPanel userId={user?.id ?? null} onClose={() => setOpen(false)} />
        </Suspense>
      ) : null}
      <Button
        type="button"
        size="lg"
        className="rounded-full shadow-lg"
        aria-expanded={open}
        aria-controls="support-chat"
        data-testid="chat-toggle"
        onClick={() => setOpen((o) => !o)}
      >
        <MessageCircle aria-hidden className="h-5 w-5" />
        {open ? "Close chat" : "Chat with us"}
      </Button>
    </div>
  );
}
