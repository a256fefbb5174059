"use client";
/**
 * The signed-in user for the whole app.
 *
 *   const { user, ready, signIn, signUp, signOut } = useAuth();
 *
 * Tokens live in lib/api's `session` (localStorage, shared by tabs); `user` is /api/users/me.
 * Sign-in goes through /api/auth/login, which also merges the guest cart (cookie) into the
 * user's cart, so the cart query is invalidated after it.
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { api, session, type Tokens } from "./api";

export type User = {
  id: number;
  email: string;
  username: string;
  full_name: string;
  role: "customer" | "support" | "admin";
  [key: string]: unknown;
};

export type SignUpInput = { email: string; password: string; full_name: string; username: string };

type AuthValue = {
  user: User | null;
  /** false until the stored session (if any) has been checked. */
  ready: boolean;
  isStaff: boolean;
  signIn: (email: string, password: string) => Promise<User>;
  signUp: (input: SignUpInput) => Promise<User>;
  signOut: () => Promise<void>;
  reload: () => Promise<void>;
};

const AuthContext = createContext<AuthValue | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const [user, setUser] = useState<User | null>(null);
  const [ready, setReady] = useState(false);
  const queryClient = useQueryClient();

  const reload = useCallback(async () => {
    if (!session.get()) {
      setUser(null);
      setReady(true);
      return;
    }
    try {
      setUser(await api<User>("/api/users/me"));
    } catch {
      setUser(null);
    } finally {
      setReady(true);
    }
  }, []);

  useEffect(() => {
    void reload();
    return session.subscribe((s) => {
      if (!s) setUser(null);
    });
  }, [reload]);

  const signIn = useCallback(
    async (email: string, password: string) => {
      const tokens = await api<Tokens & { user: User }>("/api/auth/login", {
        method: "POST",
        body: { email, password },
        auth: false,
      });
      session.set(tokens);
      const me = tokens.user ?? (await api<User>("/api/users/me"));
      setUser(me);
      await queryClient.invalidateQueries();
      return me;
    },
    [queryClient],
  );

  const signUp = useCallback(
    async (input: SignUpInput) => {
      await api("/api/auth/register", { method: "POST", body: input, auth: false });
      return signIn(input.email, input.password);
    },
    [signIn],
  );

  const signOut = useCallback(async () => {
    try {
      if (session.get()) await api("/api/auth/logout", { method: "POST" });
    } catch {
      /* signed out locally whatever the gateway says */
    }
    session.set(null);
    setUser(null);
    queryClient.clear();
  }, [queryClient]);

  const value = useMemo<AuthValue>(
    () => ({
      user,
      ready,
      isStaff: user?.role === "support" || user?.role === "admin",
      signIn,
      signUp,
      signOut,
      reload,
    }),
    [user, ready, signIn, signUp, signOut, reload],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthValue {
  const value = useContext(AuthContext);
  if (!value) throw new Error("useAuth needs <AuthProvider>");
  return value;
}
