"use client";
import { ChatInbox } from "@/components/staff/ChatInbox";

export default function StaffChatPage() {
  return <ChatInbox />;
}
