"use client";
/** React hooks over lib/realtime: one connection per mounted component, closed on unmount. */
import { useEffect, useRef, useState, useSyncExternalStore } from "react";
import { LiveFeed, LiveSocket, liveStatus, type LiveEvent, type LiveState } from "./realtime";

/** A WebSocket for as long as the component is mounted (and `enabled`). */
export function useLiveSocket(
  path: string | null,
  handlers: {
    onMessage?: (m: LiveEvent & Record<string, unknown>) => void;
    onReady?: (sock: LiveSocket) => void;
  },
  deps: unknown[] = [],
): { state: LiveState; socket: LiveSocket | null } {
  const [state, setState] = useState<LiveState>("connecting");
  const [socket, setSocket] = useState<LiveSocket | null>(null);
  const ref = useRef(handlers);
  ref.current = handlers;
  useEffect(() => {
    if (!path) return;
    const s: LiveSocket = new LiveSocket(path, {
      onMessage: (m) => ref.current.onMessage?.(m),
      onReady: () => ref.current.onReady?.(s),
      onState: setState,
    });
    setSocket(s);
    return () => s.close();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [path, ...deps]);
  return { state, socket };
}

/** An SSE feed for as long as the component is mounted. */
export function useLiveFeed(
  path: string | null,
  events: string[],
  onEvent: (e: LiveEvent) => void,
  onReset?: () => void,
): LiveState {
  const [state, setState] = useState<LiveState>("connecting");
  const ref = useRef({ onEvent, onReset });
  ref.current = { onEvent, onReset };
  const key = events.join(",");
  useEffect(() => {
    if (!path) return;
    const feed = new LiveFeed(path, {
      events: key.split(","),
      onEvent: (e) => ref.current.onEvent(e),
      onReset: () => ref.current.onReset?.(),
      onState: setState,
    });
    return () => feed.close();
  }, [path, key]);
  return state;
}

/** The worst state of every live connection on the page (null: none open). */
export function usePageLiveStatus(): LiveState | null {
  return useSyncExternalStore(liveStatus.subscribe, liveStatus.current, () => null);
}
