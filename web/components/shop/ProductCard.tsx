import Link from "next/link";
import { formatMoney } from "@/lib/format";
import type { ProductCard as Card } from "@/lib/shop";

export function ProductCard({ product }: { product: Card }) {
  return (
    <li className="group overflow-hidden rounded-lg border border-stone-200 bg-white" data-testid="product-card">
      <Link href={`/product/?id=${product.id}`} className="block">
        <div className="aspect-[4/5] bg-gradient-to-br from-orange-100 to-stone-200">
          {product.image_url ? (
            // eslint-disable-next-line @next/next/no-img-element
            <img src={product.image_url} alt="" loading="lazy" className="h-full w-full object-cover" />
          ) : null}
        </div>
        <div className="space-y-1 p-3">
          <p className="text-xs uppercase tracking-wide text-stone-500">{product.brand?.name}</p>
          <h3 className="line-clamp-2 text-sm font-medium group-hover:underline">{product.name}</h3>
          <p className="text-sm font-semibold">{formatMoney(product.price, product.currency)}</p>
          {product.in_stock === false ? <p className="text-xs text-red-700">Out of stock</p> : null}
        </div>
      </Link>
    </li>
  );
}

export function ProductGrid({ products }: { products: Card[] }) {
  return <ul className="grid grid-cols-2 gap-3 sm:grid-cols-3 lg:grid-cols-4">{products.map((p) => <ProductCard key={p.id} product={p} />)}</ul>;
}
