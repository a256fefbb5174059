"use client";
/** Profile: who I am, my name (PATCH /api/users/me), sign out everywhere else is the gateway's. */
import Link from "next/link";
import { useState, type FormEvent } from "react";
import { api, ApiError } from "@/lib/api";
import { useAuth } from "@/lib/auth";
import { Button } from "@/components/ui/button";
import { Field, FormError } from "@/components/ui/field";

export default function ProfilePage() {
  const { user, ready, reload } = useAuth();
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  if (!ready) return <p>Loading…</p>;
  if (!user)
    return (
      <p>
        <Link className="text-brand underline" href="/signin/?next=/profile/">
          Sign in
        </Link>{" "}
        to see your profile.
      </p>
    );
  const submit = async (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const full_name = String(new FormData(e.currentTarget).get("full_name") ?? "").trim();
    setSaved(false);
    if (!full_name) return setError("Enter your name.");
    try {
      await api("/api/users/me", { method: "PATCH", body: { full_name } });
      await reload();
      setError(null);
      setSaved(true);
    } catch (err) {
      setError(err instanceof ApiError ? err.message : "Could not save.");
    }
  };
  return (
    <form onSubmit={submit} className="mx-auto max-w-md space-y-4">
      <h1 className="text-2xl font-semibold">Your profile</h1>
      <p className="text-sm text-stone-600">
        {user.email} · {user.role}
      </p>
      <FormError message={error} />
      <Field id="full_name" label="Full name" defaultValue={user.full_name} />
      <Button type="submit">Save</Button>
      {saved ? <p role="status" className="text-sm text-green-700">Saved.</p> : null}
      <p>
        <Link href="/orders/" className="text-brand underline">
          Your orders
        </Link>
      </p>
    </form>
  );
}
