"use client";
import { Promotions } from "@/components/staff/Promotions";

export default function StaffPromotionsPage() {
  return <Promotions />;
}
