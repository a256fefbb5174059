"use client";
import { Dashboard } from "@/components/staff/Dashboard";

export default function StaffDashboardPage() {
  return <Dashboard />;
}
