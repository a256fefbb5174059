"use client";
/**
 * The live dashboard. /ws/analytics (staff only) sends a snapshot on connect and every second
 * something changes: per-minute counts of the events every gateway reads from the tail. Those
 * counts are what is shown until the analytics service lands; when GET /api/analytics/live
 * answers, its full figures (sales, average order, visitors) appear above them. A 404 there
 * means "not deployed": that block stays hidden, nothing else changes.
 */
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { LiveBadge } from "@/components/LiveIndicator";
import { ApiError } from "@/lib/api";
import { useLiveSocket } from "@/lib/live";
import { staff } from "@/lib/staff/api";
import { liveCounts, summaryFigures } from "@/lib/staff/figures";
import type { AnalyticsSnapshot } from "@/lib/staff/types";
import { StaffHeading } from "./StaffShell";

export function Dashboard() {
  const [snapshot, setSnapshot] = useState<AnalyticsSnapshot | null>(null);
  const { state } = useLiveSocket("/ws/analytics", {
    onMessage: (m) => {
      if (m.type === "analytics") setSnapshot(m as unknown as AnalyticsSnapshot);
    },
  });
  const full = useQuery({
    queryKey: ["staff", "analytics", "live"],
    queryFn: staff.analyticsLive,
    refetchInterval: (q) => (q.state.error instanceof ApiError && q.state.error.status === 404 ? false : 5000),
    retry: false,
  });
  const counts = snapshot ? liveCounts(snapshot) : null;
  const figures = full.data ? summaryFigures(full.data) : [];
  const maxOrders = counts ? Math.max(1, ...counts.perMinute.map((m) => m.orders + m.sales)) : 1;

  return (
    <div>
      <StaffHeading title="Dashboard">
        <LiveBadge state={state} />
      </StaffHeading>

      {figures.length > 0 ? (
        <section aria-labelledby="full-figures" className="mb-6" data-testid="analytics-full">
          <h2 id="full-figures" className="mb-2 text-lg font-semibold">
            Today
          </h2>
          <dl className="grid grid-cols-2 gap-3 lg:grid-cols-3">
            {figures.map((f) => (
              <Figure key={f.label} label={f.label} value={f.value} />
            ))}
          </dl>
        </section>
      ) : null}

      <section aria-labelledby="live-counts" data-testid="analytics-counts">
        <h2 id="live-counts" className="mb-2 text-lg font-semibold">
          Live counts
        </h2>
        {counts ? (
          <>
            <dl className="grid grid-cols-2 gap-3 lg:grid-cols-4">
              <Figure label="Orders placed (5 min)" value={counts.window.orders} testId="count-orders" />
              <Figure label="Orders paid (5 min)" value={counts.window.sales} testId="count-sales" />
              <Figure label="Product views (5 min)" value={counts.window.views} testId="count-views" />
              <Figure label="Events this minute" value={counts.thisMinute.events} testId="count-events" />
            </dl>
            <Card className="mt-4">
              <CardHeader>
                <CardTitle className="text-base">Orders per minute</CardTitle>
              </CardHeader>
              <CardContent>
                <table className="w-full text-sm">
                  <caption className="sr-only">Orders placed and paid in each of the last minutes</caption>
                  <thead>
                    <tr className="text-left text-stone-500">
                      <th scope="col" className="py-1 font-normal">Minute (UTC)</th>
                      <th scope="col" className="py-1 font-normal">Placed</th>
                      <th scope="col" className="py-1 font-normal">Paid</th>
                      <th scope="col" className="hidden py-1 font-normal sm:table-cell">Views</th>
                      <th scope="col" className="w-1/3 py-1 font-normal"><span className="sr-only">Bar</span></th>
                    </tr>
                  </thead>
                  <tbody>
                    {counts.perMinute.map((m) => (
                      <tr key={m.minute} className="border-t border-stone-100">
                        <td className="py-1 tabular-nums">{m.minute.slice(11, 16)}</td>
                        <td className="py-1 tabular-nums">{m.orders}</td>
                        <td className="py-1 tabular-nums">{m.sales}</td>
                        <td className="hidden py-1 tabular-nums sm:table-cell">{m.views}</td>
                        <td className="py-1" aria-hidden>
                          <div className="h-2 rounded bg-brand" style={{ width: `${((m.orders + m.sales) / maxOrders) * 100}%` }} />
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
                <p className="mt-2 text-xs text-stone-500">
                  Counted by this gateway since {new Date(counts.countingSince).toLocaleString()}.
                  {figures.length === 0 ? " Revenue and visitor figures appear here once the analytics service is running." : ""}
                </p>
              </CardContent>
            </Card>
          </>
        ) : (
          <p role="status" className="text-sm text-stone-600">
            {state === "reconnecting" ? "Reconnecting to the live feed…" : "Connecting to the live feed…"}
          </p>
        )}
      </section>
    </div>
  );
}

function Figure({ label, value, testId }: { label: string; value: string | number; testId?: string }) {
  return (
    <div className="rounded-lg border border-stone-200 bg-white p-3 shadow-sm">
      <dt className="text-xs text-stone-500">{label}</dt>
      <dd className="text-2xl font-semibold tabular-nums" data-testid={testId}>
        {value}
      </dd>
    </div>
  );
}
