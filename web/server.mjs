// The storefront's server: serves the static export (web/out) and reverse-proxies /api, /sse
// and /ws to the gateway, so the browser sees one origin.
//
//   node web/server.mjs --bind 127.0.0.1:3000 --gateway http://127.0.0.1:8080 [--root web/out]
//   (or WEB_BIND, WEB_GATEWAY_URL, WEB_ROOT; docker-compose's PORT and AARYA_GATEWAY_URL too)
//
// - /sse/... streams unbuffered (no compression, flushed as it comes, no timeout).
// - /ws/... is an HTTP upgrade: the raw sockets are piped both ways after the gateway's 101.
// - /health answers {"status": "ok"} when the export is there (platformctl's probe).
// - Unknown paths get out/404.html with status 404; immutable /_next/static assets are cached.
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, arg, i, all) => (arg.startsWith("--") ? [...pairs, [arg.slice(2), all[i + 1]]] : pairs), []),
);
const bind = args.bind ?? process.env.WEB_BIND ?? (process.env.PORT ? `0.0.0.0:${process.env.PORT}` : "127.0.0.1:3000");
const gateway = new URL(args.gateway ?? process.env.WEB_GATEWAY_URL ?? process.env.AARYA_GATEWAY_URL ?? "http://127.0.0.1:8080");
const root = path.resolve(args.root ?? process.env.WEB_ROOT ?? path.join(here, "out"));
const [host, portText] = [bind.slice(0, bind.lastIndexOf(":")), bind.slice(bind.lastIndexOf(":") + 1)];

const TYPES = {
  ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
  ".json": "application/json", ".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg",
  ".ico": "image/x-icon", ".txt": "text/plain; charset=utf-8", ".woff2": "font/woff2", ".webp": "image/webp",
};
const PROXIED = ["/api/", "/sse/", "/ws/"];
const HOP_BY_HOP = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te", "trailer"]);

function isProxied(url) {
  return PROXIED.some((p) => url === p.slice(0, -1) || url.startsWith(p));
}

function forwardedHeaders(req) {
  const headers = {};
  for (const [k, v] of Object.entries(req.headers)) if (!HOP_BY_HOP.has(k)) headers[k] = v;
  headers.host = gateway.host;
  const prior = req.headers["x-forwarded-for"];
  headers["x-forwarded-for"] = prior ? `${prior}, ${req.socket.remoteAddress}` : req.socket.remoteAddress;
  headers["x-forwarded-host"] = req.headers.host ?? "";
  headers["x-forwarded-proto"] = "http";
  return headers;
}

function proxy(req, res) {
  const upstream = http.request(
    { host: gateway.hostname, port: gateway.port || 80, method: req.method, path: req.url, headers: forwardedHeaders(req) },
    (up) => {
      const headers = { ...up.headers };
      for (const h of HOP_BY_HOP) delete headers[h];
      res.writeHead(up.statusCode ?? 502, headers);
      if (String(up.headers["content-type"] ?? "").startsWith("text/event-stream")) {
        res.flushHeaders();
        req.socket.setTimeout(0);
        req.socket.setNoDelay(true);
      }
      up.pipe(res);
    },
  );
  upstream.on("error", (err) => {
    console.error(`web: ${req.method} ${req.url} → gateway failed: ${err.message}`);
    if (!res.headersSent) {
      res.writeHead(502, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ error: { code: "gateway_unreachable", message: "The shop's gateway is not answering; retry shortly.", details: {} } }));
    } else res.destroy();
  });
  req.pipe(upstream);
  // The browser went away (a closed SSE tab): drop the upstream request too. (Not req's
  // "close": that fires as soon as the request body has been read.)
  res.on("close", () => {
    if (!res.writableFinished) upstream.destroy();
  });
}

function fileFor(urlPath) {
  let p;
  try {
    p = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  const full = path.resolve(root, "." + p);
  if (full !== root && !full.startsWith(root + path.sep)) return null;
  for (const candidate of [full, path.join(full, "index.html"), full + ".html"]) {
    try {
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      /* next candidate */
    }
  }
  return null;
}

function serveStatic(req, res) {
  const urlPath = new URL(req.url, "http://x").pathname;
  if (urlPath === "/health") {
    const ok = fs.existsSync(path.join(root, "index.html"));
    res.writeHead(ok ? 200 : 503, { "Content-Type": "application/json" });
    return res.end(JSON.stringify({ status: ok ? "ok" : "no_build", root }));
  }
  if (req.method !== "GET" && req.method !== "HEAD") {
    res.writeHead(405, { Allow: "GET, HEAD" });
    return res.end();
  }
  // /catalog → /catalog/ (the export uses trailing slashes), keeping the query string.
  if (!urlPath.endsWith("/") && !path.extname(urlPath) && fileFor(urlPath + "/")) {
    const q = req.url.includes("?") ? req.url.slice(req.url.indexOf("?")) : "";
    res.writeHead(308, { Location: urlPath + "/" + q });
    return res.end();
  }
  const file = fileFor(urlPath);
  const status = file ? 200 : 404;
  const chosen = file ?? path.join(root, "404.html");
  const type = TYPES[path.extname(chosen)] ?? "application/octet-stream";
  const cache = urlPath.startsWith("/_next/static/") ? "public, max-age=31536000, immutable" : "no-cache";
  fs.stat(chosen, (err, st) => {
    if (err) {
      res.writeHead(404, { "Content-Type": "text/plain" });
      return res.end("not found");
    }
    res.writeHead(status, { "Content-Type": type, "Content-Length": st.size, "Cache-Control": cache });
    if (req.method === "HEAD") return res.end();
    fs.createReadStream(chosen).pipe(res);
  });
}

const server = http.createServer((req, res) => (isProxied(req.url) ? proxy(req, res) : serveStatic(req, res)));

server.on("upgrade", (req, client, head) => {
  if (!req.url.startsWith("/ws/")) return client.destroy();
  const up = net.connect(Number(gateway.port || 80), gateway.hostname, () => {
    const headers = forwardedHeaders(req);
    headers.connection = "Upgrade";
    headers.upgrade = req.headers.upgrade ?? "websocket";
    const lines = [`${req.method} ${req.url} HTTP/1.1`, ...Object.entries(headers).flatMap(([k, v]) => (Array.isArray(v) ? v.map((x) => `${k}: ${x}`) : [`${k}: ${v}`]))];
    up.write(lines.join("\r\n") + "\r\n\r\n");
    if (head?.length) up.write(head);
    up.pipe(client);
    client.pipe(up);
  });
  up.setNoDelay(true);
  client.setNoDelay(true);
  client.setTimeout(0);
  const end = () => {
    up.destroy();
    client.destroy();
  };
  up.on("error", end);
  client.on("error", end);
  up.on("close", end);
  client.on("close", end);
});

server.keepAliveTimeout = 65_000;
server.requestTimeout = 0; // SSE and WebSocket stay open
server.listen(Number(portText), host || "127.0.0.1", () => {
  console.log(`web: serving ${root} on http://${bind}, proxying /api /sse /ws to ${gateway.origin}`);
});

const stop = () => server.close(() => process.exit(0)) && setTimeout(() => process.exit(0), 2000).unref();
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
