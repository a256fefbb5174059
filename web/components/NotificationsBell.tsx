"use client";
/** The bell: unread count and the newest notifications, live from /ws/notifications. */
import * as Popover from "@radix-ui/react-popover";
import { Bell } from "lucide-react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { api } from "@/lib/api";
import { useLiveSocket } from "@/lib/live";

type Notification = { id: number; title?: string; body?: string; message?: string; read_at?: string | null; created_at?: string };

export function NotificationsBell() {
  const qc = useQueryClient();
  const count = useQuery({
    queryKey: ["notifications", "unread"],
    queryFn: () => api<{ unread: number }>("/api/notifications/unread-count"),
  });
  const list = useQuery({
    queryKey: ["notifications", "list"],
    queryFn: () => api<{ items: Notification[] }>("/api/notifications?limit=8"),
  });
  useLiveSocket("/ws/notifications", {
    onMessage: (m) => {
      if (m.type?.startsWith("notification.")) void qc.invalidateQueries({ queryKey: ["notifications"] });
    },
  });
  const unread = count.data?.unread ?? 0;
  const markAll = async () => {
    await api("/api/notifications/read-all", { method: "POST" });
    void qc.invalidateQueries({ queryKey: ["notifications"] });
  };
  return (
    <Popover.Root>
      <Popover.Trigger
        aria-label={unread ? `Notifications, ${unread} unread` : "Notifications"}
        className="relative rounded-md p-2 hover:bg-stone-100"
        data-testid="notifications-bell"
      >
        <Bell className="h-5 w-5" aria-hidden />
        {unread > 0 ? (
          <span data-testid="notifications-unread" className="absolute -right-0.5 -top-0.5 min-w-5 rounded-full bg-brand px-1 text-center text-xs text-white">
            {unread}
          </span>
        ) : null}
      </Popover.Trigger>
      <Popover.Portal>
        <Popover.Content align="end" sideOffset={6} className="z-50 w-80 rounded-lg border border-stone-200 bg-white p-3 shadow-lg">
          <div className="mb-2 flex items-center justify-between">
            <h2 className="text-sm font-semibold">Notifications</h2>
            {unread > 0 ? (
              <button className="text-xs text-brand underline" onClick={markAll}>
                Mark all read
              </button>
            ) : null}
          </div>
          <ul className="max-h-80 space-y-2 overflow-auto">
            {(list.data?.items ?? []).map((n) => (
              <li key={n.id} className={`rounded-md p-2 text-sm ${n.read_at ? "" : "bg-brand-soft"}`}>
                <p className="font-medium">{n.title ?? "Update"}</p>
                <p className="text-stone-600">{n.body ?? n.message}</p>
              </li>
            ))}
            {list.data && list.data.items.length === 0 ? <li className="text-sm text-stone-500">Nothing yet.</li> : null}
          </ul>
        </Popover.Content>
      </Popover.Portal>
    </Popover.Root>
  );
}
