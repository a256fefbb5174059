/** A static export: web/server.mjs serves out/ and proxies /api, /sse and /ws to the gateway,
 * so one build works in every env (pages that need an id take it from the query string). */
const nextConfig = {
  output: "export",
  trailingSlash: true,
  images: { unoptimized: true },
  reactStrictMode: true,
  poweredByHeader: false,
};

export default nextConfig;
