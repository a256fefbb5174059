"use client";
/** The staff console's frame: only support and admin get past it; a nav that is a row of tabs
 * on a phone and a sidebar on a desktop. */
import Link from "next/link";
import { usePathname } from "next/navigation";
import type { ReactNode } from "react";
import { BarChart3, MessagesSquare, Package, Percent, ShoppingBag } from "lucide-react";
import { useAuth } from "@/lib/auth";
import { cn } from "@/lib/utils";

const SECTIONS = [
  { href: "/staff/", label: "Dashboard", icon: BarChart3, exact: true },
  { href: "/staff/orders/", label: "Orders", icon: ShoppingBag, also: "/staff/order" },
  { href: "/staff/stock/", label: "Stock & prices", icon: Package },
  { href: "/staff/chat/", label: "Chat inbox", icon: MessagesSquare },
  { href: "/staff/promotions/", label: "Promotions", icon: Percent },
];

export function StaffShell({ children }: { children: ReactNode }) {
  const { user, ready, isStaff } = useAuth();
  const pathname = usePathname() ?? "";
  if (!ready) return <p role="status">Loading…</p>;
  if (!user) {
    return (
      <div className="space-y-2" data-testid="staff-signin">
        <h1 className="text-2xl font-semibold">Staff console</h1>
        <p>
          <Link className="text-brand underline" href="/signin/?next=/staff/">
            Sign in
          </Link>{" "}
          with a support or admin account.
        </p>
      </div>
    );
  }
  if (!isStaff) {
    return (
      <div className="space-y-2" data-testid="staff-forbidden">
        <h1 className="text-2xl font-semibold">Staff console</h1>
        <p role="alert">This area is for support and admin staff. You are signed in as a shopper.</p>
      </div>
    );
  }
  const path = pathname.endsWith("/") ? pathname : `${pathname}/`;
  return (
    <div className="flex flex-col gap-4 md:flex-row md:gap-6" data-testid="staff-console">
      <nav aria-label="Staff console" className="md:w-48 md:shrink-0">
        <ul className="-mx-4 flex gap-1 overflow-x-auto px-4 pb-1 md:mx-0 md:flex-col md:px-0">
          {SECTIONS.map(({ href, label, icon: Icon, exact, also }) => {
            const active = exact ? path === href : path.startsWith(href) || (also ? path.startsWith(also) : false);
            return (
              <li key={href} className="shrink-0">
                <Link
                  href={href}
                  aria-current={active ? "page" : undefined}
                  className={cn(
                    "flex items-center gap-2 whitespace-nowrap rounded-md px-3 py-2 text-sm hover:bg-stone-100",
                    active && "bg-brand-soft font-semibold text-brand",
                  )}
                >
                  <Icon aria-hidden className="h-4 w-4" />
                  {label}
                </Link>
              </li>
            );
          })}
        </ul>
        <p className="mt-2 hidden text-xs text-stone-500 md:block">
          Signed in as {user.full_name || user.username} ({user.role})
        </p>
      </nav>
      <div className="min-w-0 flex-1">{children}</div>
    </div>
  );
}

/** A page heading with room for a live badge or actions on the right. */
export function StaffHeading({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="mb-4 flex flex-wrap items-center justify-between gap-2">
      <h1 className="text-2xl font-semibold">{title}</h1>
      {children ? <div className="flex items-center gap-2">{children}</div> : null}
    </div>
  );
}
