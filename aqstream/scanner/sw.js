// The door scanner's service worker (scope /scan/): keeps the app's shell, script, styles, icons and QR decoder so
// the scanner starts and works with no network; the list itself is kept by the page (IndexedDB).
const CACHE = "aqstream-scanner-v1";  // a new name when the list of kept files changes
const SHELL = "/scan/shell";
const FILES = [
  SHELL,
  "/scan/app/scanner.js",
  "/scan/app/offline.js",
  "/scan/app/scanner.css",
  "/scan/app/icon.svg",
  "/scan/app/icon-192.png",
  "/scan/app/icon-512.png",
  "/scan/manifest.webmanifest",
  "/scan/app/zxing/reader/index.js",
  "/scan/app/zxing/share.js",
  "/scan/app/zxing/reader/zxing_reader.wasm",
];
// The backend's responses vary by Origin (CORS), and the shell by language: a kept copy is the one for this device,
// whatever headers the request asking for it has (a module script's request carries Origin, the kept one did not).
const KEPT = { ignoreSearch: true, ignoreVary: true };
// A list's page: /scan/<organization>/<list id>.
const LIST_PAGE = /^\/scan\/[a-z0-9][a-z0-9-]*\/[0-9]+$/;

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    // One by one: a file that cannot be fetched now (the decoder, say) does not stop the rest being kept.
    await Promise.all(FILES.map((url) => cache.add(new Request(url, { cache: "reload" })).catch(() => {})));
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name !== CACHE && name.startsWith("aqstream-scanner")) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

async function fromNetwork(request, keyAs) {
  const response = await fetch(request);
  if (response.ok && keyAs) {
    const cache = await caches.open(CACHE);
    await cache.put(keyAs, response.clone());
  }
  return response;
}

// The list's page: the network's copy when there is one (kept as the shell), else the kept shell.
async function page(request) {
  try {
    return await fromNetwork(request, SHELL);
  } catch {
    return (await caches.match(SHELL, KEPT)) || Response.error();
  }
}

// The app's files: the kept copy at once, refreshed in the background for the next start.
async function appFile(request, event) {
  const cached = await caches.match(new URL(request.url).pathname, KEPT);
  const fresh = fromNetwork(request, new URL(request.url).pathname).catch(() => null);
  if (cached) {
    event.waitUntil(fresh);
    return cached;
  }
  return (await fresh) || Response.error();
}

// The API: always the network (the page keeps its own copy of the list); when it cannot be reached, a 503 the page
// recognises as "offline" (X-AqStream-Offline), never a stale answer.
async function api(request) {
  try {
    return await fetch(request);
  } catch {
    return new Response(JSON.stringify({ error: { code: "offline", message: "offline" } }), {
      status: 503, headers: { "Content-Type": "application/json", "X-AqStream-Offline": "1" },
    });
  }
}

self.addEventListener("fetch", (event) => {
  const { request } = event;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/scan-api/")) {
    event.respondWith(api(request));  // POSTs included: passed on, never kept
    return;
  }
  if (request.method !== "GET") return;
  if (request.mode === "navigate" && (LIST_PAGE.test(url.pathname) || /^\/scan\/app\/[0-9]+$/.test(url.pathname))) {
    event.respondWith(page(request));
  } else if (url.pathname.startsWith("/scan/app/") || url.pathname === "/scan/manifest.webmanifest") {
    event.respondWith(appFile(request, event));
  }
});
