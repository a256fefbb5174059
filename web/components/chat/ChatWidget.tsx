"use client";
/** Placeholder mount point for the shopper's support chat (web-staff owns this file). */
export function ChatWidget() {
  return null;
}
