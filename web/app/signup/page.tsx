"use client";
import { Suspense } from "react";
import { SignUpForm } from "@/components/shop/AuthForms";

export default function SignUpPage() {
  return (
    <Suspense>
      <SignUpForm />
    </Suspense>
  );
}
