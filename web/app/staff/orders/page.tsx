"use client";
import { OrdersList } from "@/components/staff/OrdersList";

export default function StaffOrdersPage() {
  return <OrdersList />;
}
