import type { ReactNode } from "react";
import { StaffShell } from "@/components/staff/StaffShell";

export const metadata = { title: "Staff console — Aarya" };

export default function StaffLayout({ children }: { children: ReactNode }) {
  return <StaffShell>{children}</StaffShell>;
}
