"use client";
/** Sign in and sign up forms: validated before sending, the gateway's message beside the field. */
import Link from "next/link";
import { useRouter, useSearchParams } from "next/navigation";
import { useState, type FormEvent } from "react";
import { ApiError } from "@/lib/api";
import { useAuth } from "@/lib/auth";
import { Button } from "@/components/ui/button";
import { Field, FormError } from "@/components/ui/field";

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function useNext(): string {
  const params = useSearchParams();
  const next = params.get("next");
  return next && next.startsWith("/") && !next.startsWith("//") ? next : "/";
}

export function SignInForm() {
  const { signIn } = useAuth();
  const router = useRouter();
  const next = useNext();
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const data = new FormData(e.currentTarget);
    const email = String(data.get("email") ?? "").trim();
    const password = String(data.get("password") ?? "");
    const found: Record<string, string> = {};
    if (!EMAIL.test(email)) found.email = "Enter your email address.";
    if (!password) found.password = "Enter your password.";
    setErrors(found);
    setFormError(null);
    if (Object.keys(found).length) return;
    setBusy(true);
    try {
      await signIn(email, password);
      router.push(next);
    } catch (err) {
      setFormError(err instanceof ApiError ? err.message : "Could not sign in.");
    } finally {
      setBusy(false);
    }
  };

  return (
    <form noValidate onSubmit={submit} className="mx-auto max-w-sm space-y-4" aria-labelledby="signin-title">
      <h1 id="signin-title" className="text-2xl font-semibold">
        Sign in
      </h1>
      <FormError message={formError} />
      <Field id="email" label="Email" type="email" autoComplete="email" error={errors.email} />
      <Field id="password" label="Password" type="password" autoComplete="current-password" error={errors.password} />
      <Button type="submit" disabled={busy} className="w-full">
        {busy ? "Signing in…" : "Sign in"}
      </Button>
      <p className="text-sm text-stone-600">
        New here?{" "}
        <Link className="text-brand underline" href={`/signup/?next=${encodeURIComponent(next)}`}>
          Create an account
        </Link>
      </p>
    </form>
  );
}

export function SignUpForm() {
  const { signUp } = useAuth();
  const router = useRouter();
  const next = useNext();
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const data = new FormData(e.currentTarget);
    const input = {
      full_name: String(data.get("full_name") ?? "").trim(),
      email: String(data.get("email") ?? "").trim(),
      password: String(data.get("password") ?? ""),
      username: "",
    };
    input.username = `${input.email.split("@")[0].replace(/[^A-Za-z0-9_]/g, "_").slice(0, 20)}_${Math.random().toString(36).slice(2, 7)}`;
    const found: Record<string, string> = {};
    if (!input.full_name) found.full_name = "Enter your name.";
    if (!EMAIL.test(input.email)) found.email = "Enter a valid email address.";
    if (input.password.length < 8) found.password = "Use at least 8 characters.";
    setErrors(found);
    setFormError(null);
    if (Object.keys(found).length) return;
    setBusy(true);
    try {
      await signUp(input);
      router.push(next);
    } catch (err) {
      if (err instanceof ApiError) {
        const fieldErrors: Record<string, string> = {};
        for (const f of ["full_name", "email", "password"]) {
          const m = err.fieldMessage(f);
          if (m) fieldErrors[f] = m;
        }
        setErrors(fieldErrors);
        setFormError(err.message);
      } else setFormError("Could not create the account.");
    } finally {
      setBusy(false);
    }
  };

  return (
    <form noValidate onSubmit={submit} className="mx-auto max-w-sm space-y-4" aria-labelledby="signup-title">
      <h1 id="signup-title" className="text-2xl font-semibold">
        Create your account
      </h1>
      <FormError message={formError} />
      <Field id="full_name" label="Full name" autoComplete="name" error={errors.full_name} />
      <Field id="email" label="Email" type="email" autoComplete="email" error={errors.email} />
      <Field id="password" label="Password" type="password" autoComplete="new-password" error={errors.password} />
      <Button type="submit" disabled={busy} className="w-full">
        {busy ? "Creating…" : "Sign up"}
      </Button>
      <p className="text-sm text-stone-600">
        Have an account?{" "}
        <Link className="text-brand underline" href={`/signin/?next=${encodeURIComponent(next)}`}>
          Sign in
        </Link>
      </p>
    </form>
  );
}
