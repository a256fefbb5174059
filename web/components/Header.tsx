"use client";
/**
 * The app shell's header: brand, nav, search, live status, the notifications bell (signed in),
 * the cart with its count, and the sign-in state. Staff see a link to the console.
 */
import Link from "next/link";
import { ShoppingBag, User as UserIcon } from "lucide-react";
import { useAuth } from "@/lib/auth";
import { useCart } from "@/lib/shop";
import { LiveIndicator } from "./LiveIndicator";
import { NotificationsBell } from "./NotificationsBell";
import { SearchBox } from "./shop/SearchBox";
import { Button } from "./ui/button";

export function Header() {
  const { user, ready, isStaff, signOut } = useAuth();
  const cart = useCart();
  const count = cart.data?.total_quantity ?? 0;
  return (
    <header className="sticky top-0 z-40 border-b border-stone-200 bg-white/95 backdrop-blur">
      <a href="#main" className="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:rounded focus:bg-white focus:p-2">
        Skip to content
      </a>
      <div className="mx-auto flex max-w-6xl flex-wrap items-center gap-x-4 gap-y-2 px-4 py-3">
        <Link href="/" className="text-xl font-bold tracking-tight text-brand">
          Aarya
        </Link>
        <nav aria-label="Main" className="flex items-center gap-3 text-sm">
          <Link href="/catalog/" className="hover:underline">
            Shop
          </Link>
          {user ? (
            <Link href="/orders/" className="hover:underline">
              Orders
            </Link>
          ) : null}
          {isStaff ? (
            <Link href="/staff/" className="hover:underline" data-testid="nav-staff">
              Staff
            </Link>
          ) : null}
        </nav>
        <div className="order-last w-full sm:order-none sm:ml-4 sm:w-auto sm:flex-1">
          <SearchBox />
        </div>
        <div className="ml-auto flex items-center gap-2">
          <LiveIndicator />
          {user ? <NotificationsBell /> : null}
          <Link href="/cart/" className="relative rounded-md p-2 hover:bg-stone-100" aria-label={`Cart, ${count} items`} data-testid="nav-cart">
            <ShoppingBag className="h-5 w-5" aria-hidden />
            {count > 0 ? (
              <span data-testid="cart-count" className="absolute -right-0.5 -top-0.5 min-w-5 rounded-full bg-stone-900 px-1 text-center text-xs text-white">
                {count}
              </span>
            ) : null}
          </Link>
          {!ready ? null : user ? (
            <div className="flex items-center gap-1">
              <Link href="/profile/" className="flex items-center gap-1 rounded-md p-2 text-sm hover:bg-stone-100" data-testid="nav-profile">
                <UserIcon className="h-4 w-4" aria-hidden />
                <span className="hidden sm:inline">{user.full_name || user.username}</span>
              </Link>
              <Button variant="ghost" size="sm" onClick={() => void signOut()} data-testid="sign-out">
                Sign out
              </Button>
            </div>
          ) : (
            <div className="flex items-center gap-1 text-sm">
              <Link href="/signin/" className="rounded-md px-2 py-1 hover:bg-stone-100" data-testid="nav-signin">
                Sign in
              </Link>
              <Link href="/signup/" className="rounded-md bg-brand px-2 py-1 text-white hover:bg-orange-900">
                Sign up
              </Link>
            </div>
          )}
        </div>
      </div>
    </header>
  );
}
