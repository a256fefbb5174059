"use client";
import { Suspense } from "react";
import { SignInForm } from "@/components/shop/AuthForms";

export default function SignInPage() {
  return (
    <Suspense>
      <SignInForm />
    </Suspense>
  );
}
