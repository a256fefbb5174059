"use client";
import { usePageLiveStatus } from "@/lib/live";
import type { LiveState } from "@/lib/realtime";

/** Says "Reconnecting…" while any live connection of the page is lost (never stale silently). */
export function LiveIndicator() {
  const state = usePageLiveStatus();
  if (state !== "reconnecting") return null;
  return (
    <span role="status" data-testid="live-reconnecting" className="rounded-full bg-amber-100 px-2 py-0.5 text-xs font-medium text-amber-900">
      Reconnecting…
    </span>
  );
}

/** A small per-block badge: what one connection is doing. */
export function LiveBadge({ state, label = "Live" }: { state: LiveState; label?: string }) {
  const text = state === "open" ? label : state === "reconnecting" ? "Reconnecting…" : state === "connecting" ? "Connecting…" : "Offline";
  const tone =
    state === "open" ? "bg-green-100 text-green-800" : state === "reconnecting" ? "bg-amber-100 text-amber-900" : "bg-stone-200 text-stone-700";
  return (
    <span data-testid="live-state" data-state={state} className={`inline-flex items-center gap-1 rounded-full px-2 py-0.5 text-xs ${tone}`}>
      <span aria-hidden className={`h-1.5 w-1.5 rounded-full ${state === "open" ? "bg-green-600" : "bg-amber-600"}`} />
      {text}
    </span>
  );
}
