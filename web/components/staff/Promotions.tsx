"use client";
/** Promotions: every one (scheduled, live, ended), newest first; create one, change one that
 * has not ended, end one now. Going live and ending happen by the clock in the notifications
 * service, which announces them to shoppers on /sse/promotions. */
import { useInfiniteQuery, useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent, type ReactNode } from "react";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { Field, FormError } from "@/components/ui/field";
import { Label } from "@/components/ui/label";
import { formatMoney } from "@/lib/format";
import { staff } from "@/lib/staff/api";
import { errorText, fieldErrors } from "@/lib/staff/figures";
import { changedTerms, emptyForm, formOf, termsOf, type PromotionForm } from "@/lib/staff/promotions";
import { PROMOTION_CURRENCIES, type Promotion } from "@/lib/staff/types";
import { StaffHeading } from "./StaffShell";

const LIST_KEY = ["staff", "promotions"];

export function Promotions() {
  const [editing, setEditing] = useState<Promotion | "new" | null>(null);
  const queryClient = useQueryClient();
  const list = useInfiniteQuery({
    queryKey: LIST_KEY,
    queryFn: ({ pageParam }) => staff.listPromotions("all", pageParam),
    initialPageParam: null as number | null,
    getNextPageParam: (last) => last.next_before_id,
  });
  const end = useMutation({
    mutationFn: (id: number) => staff.endPromotion(id),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: LIST_KEY }),
  });
  const items = list.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <div className="space-y-4">
      <StaffHeading title="Promotions">
        {editing === null ? (
          <Button onClick={() => setEditing("new")} data-testid="promotion-new">
            New promotion
          </Button>
        ) : null}
      </StaffHeading>
      {editing !== null ? (
        <PromotionEditor
          key={editing === "new" ? "new" : editing.id}
          promotion={editing === "new" ? null : editing}
          onDone={() => {
            setEditing(null);
            void queryClient.invalidateQueries({ queryKey: LIST_KEY });
          }}
        />
      ) : null}
      <FormError message={list.error ? errorText(list.error) : end.error ? errorText(end.error) : null} />
      {list.isPending ? <p role="status">Loading promotions…</p> : null}
      {!list.isPending && items.length === 0 ? <p>No promotions yet.</p> : null}
      <ul className="space-y-2" aria-label="Promotions">
        {items.map((p) => (
          <li key={p.id} className="rounded-lg border border-stone-200 bg-white p-3 shadow-sm" data-testid="promotion-row">
            <div className="flex flex-wrap items-center justify-between gap-2">
              <div>
                <span className="font-medium">{p.title}</span>{" "}
                <Badge variant={p.status === "live" ? "success" : p.status === "scheduled" ? "info" : "default"}>{p.status}</Badge>
                {p.code ? <span className="ml-2 font-mono text-sm">{p.code}</span> : null}
              </div>
              <div className="flex gap-2">
                {p.status !== "ended" ? (
                  <>
                    <Button size="sm" variant="outline" onClick={() => setEditing(p)} aria-label={`Edit ${p.title}`}>
                      Edit
                    </Button>
                    <Button size="sm" variant="destructive" disabled={end.isPending} onClick={() => end.mutate(p.id)} aria-label={`End ${p.title} now`}>
                      End now
                    </Button>
                  </>
                ) : null}
              </div>
            </div>
            <p className="mt-1 text-sm text-stone-600">
              {p.discount_percent !== null ? `${p.discount_percent}% off` : `${formatMoney(p.discount_amount, p.currency ?? "INR")} off`}
              {p.category ? ` · category ${p.category}` : p.product_ids?.length ? ` · products ${p.product_ids.join(", ")}` : " · everything"}
              {" · "}
              {new Date(p.starts_at).toLocaleString()} – {new Date(p.ended_at ?? p.ends_at).toLocaleString()}
            </p>
          </li>
        ))}
      </ul>
      {list.hasNextPage ? (
        <Button variant="outline" onClick={() => void list.fetchNextPage()} disabled={list.isFetchingNextPage}>
          Older promotions
        </Button>
      ) : null}
    </div>
  );
}

function PromotionEditor({ promotion, onDone }: { promotion: Promotion | null; onDone: () => void }) {
  const [initial] = useState<PromotionForm>(() => (promotion ? formOf(promotion) : emptyForm()));
  const [form, setForm] = useState<PromotionForm>(initial);
  const [local, setLocal] = useState<Record<string, string>>({});
  const save = useMutation({
    mutationFn: () => {
      const { terms } = termsOf(form);
      if (!promotion) return staff.createPromotion(terms);
      return staff.updatePromotion(promotion.id, changedTerms(termsOf(initial).terms, terms));
    },
    onSuccess: onDone,
  });
  const server = fieldErrors(save.error);
  const error = (name: string) => local[name] ?? server[name];
  const set = (name: keyof PromotionForm) => (e: { target: { value: string } }) => setForm({ ...form, [name]: e.target.value });

  function submit(e: FormEvent) {
    e.preventDefault();
    const { problems } = termsOf(form);
    setLocal(problems);
    if (Object.keys(problems).length === 0) save.mutate();
  }
  const live = promotion?.status === "live";
  return (
    <Card>
      <CardHeader>
        <CardTitle className="text-base">{promotion ? `Edit “${promotion.title}”` : "New promotion"}</CardTitle>
      </CardHeader>
      <CardContent>
        <form onSubmit={submit} noValidate className="grid gap-3 md:grid-cols-2" aria-label={promotion ? "Edit promotion" : "New promotion"}>
          <Field id="promo-title" label="Title" value={form.title} onChange={set("title")} error={error("title")} maxLength={200} />
          <Field id="promo-code" label="Code (optional)" value={form.code} onChange={set("code")} error={error("code")} />
          <div className="md:col-span-2">
            <Field id="promo-description" label="Description (optional)" value={form.description} onChange={set("description")} error={error("description")} />
          </div>
          <Choice id="promo-kind" label="Discount" value={form.kind} onChange={set("kind")}>
            <option value="percent">Percent off</option>
            <option value="amount">Amount off</option>
          </Choice>
          <div className="grid grid-cols-[1fr_6rem] gap-2">
            <Field id="promo-value" label={form.kind === "percent" ? "Percent (1–90)" : "Amount"} inputMode="decimal" value={form.value}
              onChange={set("value")} error={error(form.kind === "percent" ? "discount_percent" : "discount_amount")} />
            {form.kind === "amount" ? (
              <Choice id="promo-currency" label="Currency" value={form.currency} onChange={set("currency")} error={error("currency")}>
                {PROMOTION_CURRENCIES.map((c) => (
                  <option key={c}>{c}</option>
                ))}
              </Choice>
            ) : null}
          </div>
          <Field id="promo-starts" label="Starts" type="datetime-local" value={form.starts_at} onChange={set("starts_at")} error={error("starts_at")} disabled={live} />
          <Field id="promo-ends" label="Ends" type="datetime-local" value={form.ends_at} onChange={set("ends_at")} error={error("ends_at")} />
          <Choice id="promo-scope" label="Applies to" value={form.scope} onChange={set("scope")}>
            <option value="all">Everything</option>
            <option value="category">One category</option>
            <option value="products">Some products</option>
          </Choice>
          {form.scope === "category" ? (
            <Field id="promo-category" label="Category slug" value={form.category} onChange={set("category")} error={error("category")} />
          ) : form.scope === "products" ? (
            <Field id="promo-products" label="Product ids" value={form.product_ids} onChange={set("product_ids")} error={error("product_ids")} />
          ) : (
            <span />
          )}
          <div className="space-y-2 md:col-span-2">
            <FormError message={save.error && Object.keys(server).length === 0 ? errorText(save.error) : null} testId="promotion-error" />
            <div className="flex gap-2">
              <Button type="submit" disabled={save.isPending} data-testid="promotion-save">
                {save.isPending ? "Saving…" : promotion ? "Save changes" : "Create promotion"}
              </Button>
              <Button type="button" variant="ghost" onClick={onDone}>
                Cancel
              </Button>
            </div>
          </div>
        </form>
      </CardContent>
    </Card>
  );
}

function Choice({ id, label, value, onChange, error, children }: {
  id: string; label: string; value: string; error?: string; children: ReactNode;
  onChange: (e: { target: { value: string } }) => void;
}) {
  return (
    <div className="space-y-1">
      <Label htmlFor={id}>{label}</Label>
      <select id={id} value={value} onChange={onChange} aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-error` : undefined} className="h-10 w-full rounded-md border border-stone-300 bg-white px-2 text-sm">
        {children}
      </select>
      {error ? <p id={`${id}-error`} role="alert" className="text-sm text-red-700">{error}</p> : null}
    </div>
  );
}
