// AqStream's door scanner (issue 16). A static ES module served by the backend (aqstream/api/scanner_app.py): it
// works through the cookie-signed-in REST routes /scan-api/{org}/checkin-lists/{id}/... while the network is there,
// and from its own downloaded copy of the list (IndexedDB) when it is not, queueing each scan to sync later.
import { LocalList, toDate } from "/scan/app/offline.js";

const STRINGS = JSON.parse(document.getElementById("scanner-strings").textContent);
const LANG = document.documentElement.lang || "en";
const [, , ORG, LIST_ID] = location.pathname.split("/");
const API = `/scan-api/${ORG}/checkin-lists/${LIST_ID}`;
const LIST_KEY = `${ORG}/${LIST_ID}`;
const DEVICE_KEY = "aqstream.scanner.device";
const REQUEST_TIMEOUT = 5000;
const STATS_EVERY = 2500;
const SYNC_EVERY = 10000;
const REFRESH_EVERY = 120000;
const SAME_CODE_PAUSE = 4000;  // the camera sees the same code many times a second: one scan per code per pause
const DECODE_EVERY = 250;
const ZXING = "/scan/app/zxing/reader/index.js";
const ZXING_WASM = "/scan/app/zxing/reader/zxing_reader.wasm";

const $ = (id) => document.getElementById(id);

// ---------- texts ----------
function fill(text, params) {
  return text.replace(/\{(\w+)\}/g, (all, name) => (name in params ? String(params[name]) : all));
}
const t = (key, params = {}) => fill(STRINGS[key] ?? key, params);
const plural = new Intl.PluralRules(LANG);
const number = (n) => new Intl.NumberFormat(LANG).format(n);
// A text with a number in the language's plural form (keys .one/.few/.many/.other, as the server's tn()).
function tn(key, count, params = {}) {
  const text = STRINGS[`${key}.${plural.select(count)}`] ?? STRINGS[`${key}.other`] ?? key;
  return fill(text, { ...params, count: number(count) });
}

function hhmm(iso) {
  if (!iso) return "";
  const zone = state.local?.event?.time_zone;
  const options = { hour: "2-digit", minute: "2-digit", hourCycle: "h23" };
  try {
    return new Intl.DateTimeFormat(LANG, zone ? { ...options, timeZone: zone } : options).format(toDate(iso));
  } catch {
    return new Intl.DateTimeFormat(LANG, options).format(toDate(iso));
  }
}

function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

// ---------- storage (IndexedDB): the list's bundle and the queue of scans not yet synced ----------
const db = new Promise((resolve, reject) => {
  const open = indexedDB.open("aqstream-scanner", 1);
  open.onupgradeneeded = () => {
    open.result.createObjectStore("bundles", { keyPath: "key" });
    const queue = open.result.createObjectStore("queue", { keyPath: "client_scan_id" });
    queue.createIndex("list", "list");
  };
  open.onsuccess = () => resolve(open.result);
  open.onerror = () => reject(open.error);
});

async function store(name, mode, work) {
  const tx = (await db).transaction(name, mode);
  const result = work(tx.objectStore(name));
  await new Promise((resolve, reject) => {
    tx.oncomplete = resolve;
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
  return result && "result" in result ? result.result : result;
}

const saveBundle = (bundle, downloadedAt) =>
  store("bundles", "readwrite", (s) => s.put({ key: LIST_KEY, bundle, downloaded_at: downloadedAt }));
const loadBundle = () => store("bundles", "readonly", (s) => s.get(LIST_KEY));
const queueAdd = (item) => store("queue", "readwrite", (s) => s.put({ ...item, list: LIST_KEY }));
const queueDelete = (id) => store("queue", "readwrite", (s) => s.delete(id));
async function queueAll() {
  const items = await store("queue", "readonly", (s) => s.index("list").getAll(LIST_KEY));
  return (items || []).sort((a, b) => a.scanned_at.localeCompare(b.scanned_at));
}

// ---------- state ----------
const state = {
  local: null,            // LocalList
  downloadedAt: null,
  reachable: true,        // the last request reached the server
  last: null,             // the result on screen: {answer, item, snapshot, pending}
  pending: 0,
  syncing: false,
  recent: new Map(),      // code -> time it was last scanned by the camera
  busy: false,
};

function online() {
  return navigator.onLine && state.reachable;
}

let saveTimer = null;
function saveLocalSoon() {
  clearTimeout(saveTimer);
  saveTimer = setTimeout(() => saveBundle(state.local.bundle, state.downloadedAt).catch(() => {}), 300);
}

// ---------- network ----------
class Offline extends Error {}
class HttpError extends Error {
  constructor(status, body) {
    super(`HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

async function request(path, { method = "GET", body } = {}) {
  if (!navigator.onLine) throw new Offline();
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), REQUEST_TIMEOUT * (path.endsWith("/offline") ? 6 : 1));
  let response;
  try {
    response = await fetch(API + path, {
      method, credentials: "same-origin", signal: controller.signal, cache: "no-store",
      headers: body === undefined ? { Accept: "application/json" }
        : { Accept: "application/json", "Content-Type": "application/json", "X-AqStream-Scanner": "1" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    setReachable(false);
    throw new Offline();
  } finally {
    clearTimeout(timer);
  }
  if (response.status === 503 && response.headers.get("X-AqStream-Offline")) {
    setReachable(false);
    throw new Offline();
  }
  setReachable(true);
  const data = await response.json().catch(() => null);
  if (!response.ok) throw new HttpError(response.status, data);
  return data;
}

function setReachable(value) {
  if (state.reachable !== value) {
    state.reachable = value;
    renderNet();
    if (value) syncSoon();
  }
}

// ---------- the list ----------
async function download() {
  const bundle = await request("/offline");
  state.local = new LocalList(bundle);
  await reapplyQueue();
  state.downloadedAt = new Date().toISOString();
  await saveBundle(bundle, state.downloadedAt);
  render();
}

// Scans this device made offline and has not synced yet stay in force on a copy of the list read again.
async function reapplyQueue() {
  for (const item of await queueAll()) {
    if (item.answer) state.local.apply(item.answer, { device: item.device, at: item.scanned_at });
  }
}

function render() {
  const { local } = state;
  $("list-title").textContent = local.event.title ? `${local.event.title} · ${local.list.name}` : local.list.name;
  document.title = `${local.list.name} · ${t("title")}`;
  $("direction").hidden = !local.list.allow_reentry;
  renderDownloaded();
  renderCounts(local.stats());
  renderNet();
}

function renderDownloaded() {
  if (!state.downloadedAt) return;
  $("downloaded").textContent = t("downloaded", {
    time: hhmm(state.downloadedAt), tickets: tn("tickets", state.local.bundle.tickets.length),
  });
}

function renderNet() {
  const net = $("net");
  const on = online();
  net.textContent = on ? t("online") : t("offline");
  net.className = `badge ${on ? "badge-on" : "badge-off"}`;
  $("refresh").disabled = !navigator.onLine;
}

function renderCounts(stats) {
  $("count-inside").textContent = number(stats.inside);
  $("count-total").textContent = t("of_total", { total: number(stats.total) });
  const list = $("per-type");
  list.replaceChildren(...(stats.per_type || []).map((row) => {
    const li = document.createElement("li");
    li.textContent = t("per_type", { name: row.name, inside: row.inside, total: row.total });
    return li;
  }));
}

async function pollStats() {
  if (!state.local) return;
  // Asked whenever the browser has a network, also after a failed request: the answer says the server is back.
  if (navigator.onLine) {
    try {
      renderCounts(await request("/stats"));
      return;
    } catch (error) {
      if (error instanceof HttpError && error.status === 401) return signedOut();
    }
  }
  renderCounts(state.local.stats());
}

// ---------- scanning ----------
function device() {
  return $("device").value.trim().slice(0, 60);
}

function direction() {
  const chosen = document.querySelector('input[name="direction"]:checked');
  return state.local?.list.allow_reentry && chosen ? chosen.value : "in";
}

async function scan(code) {
  code = (code || "").trim();
  if (!code || !state.local) return;
  const item = {
    code: code.slice(0, 400), client_scan_id: uuid(), scanned_at: new Date().toISOString(), device: device(),
    direction: direction(),
  };
  let answer = null;
  let pending = false;
  const ticketBefore = (id) => state.local.snapshot(id);
  if (online()) {
    try {
      answer = await request("/scans", { method: "POST", body: item });
    } catch (error) {
      // A server that is down or busy (5xx) is no network for this scan: the device decides, the queue keeps it.
      if (error instanceof HttpError && error.status < 500) {
        if (error.status === 401) return signedOut();
        answer = { result: "error", message: error.body?.error?.message || "" };
      }
    }
  }
  let snapshot = null;
  if (!answer) {
    answer = await state.local.decide(code, item.direction);
    snapshot = ticketBefore(answer.ticket_id);
    state.local.apply(answer, { device: item.device, at: item.scanned_at });
    await queueAdd({ ...item, offline_result: answer.result, answer });
    pending = true;
    refreshPending();
  } else if (answer.result !== "error") {
    snapshot = ticketBefore(answer.ticket_id);
    state.local.apply(answer, { device: item.device, at: item.scanned_at });
  }
  saveLocalSoon();
  state.last = { answer, item, snapshot, pending };
  show(answer, pending);
  if (!online()) renderCounts(state.local.stats());
  else pollStats();
  if ($("search").value.trim()) renderSearch();
}

const KIND = { ok: "ok", out: "ok", already: "already", not_inside: "already" };

function show(answer, pending) {
  const kind = KIND[answer.result] || "refused";
  const panel = $("result");
  panel.className = `result result-${kind}`;
  const head = t(`result.${answer.result}`);
  $("result-head").textContent = head;
  const ticket = state.local.ticket(answer.ticket_id);
  const name = answer.attendee_name || ticket?.name || (answer.ticket_id ? t("ticket_number", { id: answer.ticket_id }) : "");
  $("result-name").textContent = name;
  let detail = answer.ticket_type || ticket?.ticket_type || "";
  if (answer.result === "already" && answer.first_at) {
    const when = answer.first_device
      ? t("already_at", { time: hhmm(answer.first_at), device: answer.first_device })
      : t("already_at_time", { time: hhmm(answer.first_at) });
    detail = detail ? `${detail} · ${when}` : when;
  } else if (kind === "refused") {
    detail = [t("refused"), answer.message || detail].filter(Boolean).join(" · ");
  }
  $("result-detail").textContent = detail;
  const answers = kind === "ok" && answer.result === "ok" ? (answer.answers || ticket?.answers || []) : [];
  $("result-answers").replaceChildren(...answers.map(({ question, answer: text }) => {
    const li = document.createElement("li");
    const q = document.createElement("span");
    q.className = "q";
    q.textContent = `${question}: `;
    li.append(q, document.createTextNode(text));
    return li;
  }));
  $("result-note").textContent = pending ? t("decided_offline") : "";
  const undo = $("undo");
  undo.hidden = answer.result !== "ok";
  undo.disabled = false;
  $("announce").textContent = [head, name, detail].filter(Boolean).join(". ");
  beep(kind);
  // The answer is at the top of the page: a steward who scrolled down (to search, say) sees it come in.
  if (panel.getBoundingClientRect().top < 0) window.scrollTo({ top: 0 });
}

async function undoLast() {
  const last = state.last;
  if (!last || last.answer.result !== "ok") return;
  const undo = $("undo");
  undo.disabled = true;
  const ticketId = last.answer.ticket_id;
  const queued = (await queueAll()).find((item) => item.client_scan_id === last.item.client_scan_id);
  try {
    if (queued) {
      await queueDelete(queued.client_scan_id);
      state.local.restore(ticketId, last.snapshot);
      refreshPending();
    } else {
      await request("/undo", { method: "POST", body: { ticket_id: ticketId } });
      state.local.undone(ticketId);
    }
  } catch (error) {
    undo.disabled = false;
    if (error instanceof HttpError && error.status === 401) return signedOut();
    note(error instanceof Offline ? t("undo_offline") : t("undo_failed"));
    return;
  }
  saveLocalSoon();
  state.last = null;
  const panel = $("result");
  panel.className = "result result-idle";
  $("result-head").textContent = t("undone");
  for (const id of ["result-detail", "result-note"]) $(id).textContent = "";
  $("result-answers").replaceChildren();
  undo.hidden = true;
  $("announce").textContent = `${t("undone")}. ${$("result-name").textContent}`;
  pollStats();
}

function note(text) {
  $("result-note").textContent = text;
  $("announce").textContent = text;
}

// ---------- sound ----------
let audio = null;
function wakeAudio() {
  try {
    audio = audio || new (window.AudioContext || window.webkitAudioContext)();
    if (audio.state === "suspended") audio.resume();
  } catch {
    audio = null;
  }
}

function beep(kind) {
  if (!audio) return;
  const tones = { ok: [[880, 0, 0.15]], already: [[660, 0, 0.12], [660, 0.18, 0.12]], refused: [[220, 0, 0.45]] }[kind];
  const now = audio.currentTime;
  for (const [freq, start, length] of tones) {
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.type = kind === "refused" ? "square" : "sine";
    osc.frequency.value = freq;
    gain.gain.setValueAtTime(0.0001, now + start);
    gain.gain.exponentialRampToValueAtTime(0.3, now + start + 0.01);
    gain.gain.exponentialRampToValueAtTime(0.0001, now + start + length);
    osc.connect(gain).connect(audio.destination);
    osc.start(now + start);
    osc.stop(now + start + length + 0.02);
  }
}

// ---------- camera ----------
const camera = { stream: null, timer: null, decode: null, canvas: null };

async function decoder() {
  if ("BarcodeDetector" in window) {
    try {
      if ((await window.BarcodeDetector.getSupportedFormats()).includes("qr_code")) {
        const detector = new window.BarcodeDetector({ formats: ["qr_code"] });
        return async (video) => (await detector.detect(video))[0]?.rawValue || "";
      }
    } catch { /* fall through to the WebAssembly decoder */ }
  }
  const zxing = await import(ZXING);
  await zxing.prepareZXingModule({
    overrides: { locateFile: (path, prefix) => (path.endsWith(".wasm") ? ZXING_WASM : prefix + path) },
    fireImmediately: true,
  });
  camera.canvas = camera.canvas || document.createElement("canvas");
  const context = camera.canvas.getContext("2d", { willReadFrequently: true });
  return async (video) => {
    const scale = Math.min(1, 800 / Math.max(video.videoWidth, video.videoHeight));
    const width = Math.round(video.videoWidth * scale);
    const height = Math.round(video.videoHeight * scale);
    if (!width || !height) return "";
    camera.canvas.width = width;
    camera.canvas.height = height;
    context.drawImage(video, 0, 0, width, height);
    const found = await zxing.readBarcodesFromImageData(context.getImageData(0, 0, width, height),
      { formats: ["QRCode"], tryHarder: true, maxNumberOfSymbols: 1 });
    return found.find((r) => r.isValid)?.text || "";
  };
}

async function startCamera() {
  const button = $("camera");
  const status = $("camera-note");
  status.textContent = t("camera_starting");
  try {
    camera.stream = await navigator.mediaDevices.getUserMedia({
      video: { facingMode: { ideal: "environment" }, width: { ideal: 1280 }, height: { ideal: 720 } }, audio: false,
    });
  } catch (error) {
    status.textContent = error?.name === "NotAllowedError" ? t("camera_denied")
      : error?.name === "NotFoundError" || error?.name === "OverconstrainedError" ? t("camera_missing")
        : t("camera_failed");
    return;
  }
  const video = $("video");
  video.srcObject = camera.stream;
  video.hidden = false;
  await video.play().catch(() => {});
  button.textContent = t("camera_stop");
  button.setAttribute("aria-pressed", "true");
  try {
    camera.decode = camera.decode || await decoder();
  } catch {
    status.textContent = t("decoder_failed");
    return;
  }
  status.textContent = t("camera_on");
  const tick = async () => {
    if (!camera.stream) return;
    try {
      if (video.readyState >= 2 && !state.busy) {
        const code = await camera.decode(video);
        if (code) {
          const now = Date.now();
          if (now - (state.recent.get(code) || 0) > SAME_CODE_PAUSE) {
            state.busy = true;
            try {
              await scan(code);
            } finally {
              // Measured from the answer, so a slow request does not let the same code through twice.
              state.recent.set(code, Date.now());
              state.busy = false;
            }
          }
        }
      }
    } catch { /* one unreadable frame: try the next */ }
    camera.timer = setTimeout(tick, DECODE_EVERY);
  };
  tick();
}

function stopCamera() {
  clearTimeout(camera.timer);
  if (camera.stream) camera.stream.getTracks().forEach((track) => track.stop());
  camera.stream = null;
  const video = $("video");
  video.srcObject = null;
  video.hidden = true;
  $("camera").textContent = t("camera_start");
  $("camera").setAttribute("aria-pressed", "false");
  $("camera-note").textContent = "";
}

// ---------- search ----------
function renderSearch() {
  const query = $("search").value;
  const list = $("found");
  if (!query.trim() || !state.local) return list.replaceChildren();
  const found = state.local.search(query);
  if (!found.length) {
    const li = document.createElement("li");
    li.className = "note";
    li.textContent = t("search_none");
    return list.replaceChildren(li);
  }
  list.replaceChildren(...found.map((ticket) => {
    const li = document.createElement("li");
    li.className = "person";
    const who = document.createElement("div");
    const name = document.createElement("strong");
    name.textContent = ticket.name || t("ticket_number", { id: ticket.id });
    const more = document.createElement("span");
    more.className = "note";
    const status = ticket.status === "cancelled" ? t("status_cancelled") : ticket.status === "held" ? t("status_held")
      : ticket.inside ? t("inside_since", { time: hhmm(ticket.checked_in_at) }) : "";
    more.textContent = [ticket.ticket_type, ticket.email, ticket.code, status].filter(Boolean).join(" · ");
    who.append(name, more);
    const button = document.createElement("button");
    button.type = "button";
    button.className = "button";
    button.textContent = t("check_in");
    button.setAttribute("aria-label", t("check_in_name", { name: name.textContent }));
    button.addEventListener("click", () => {
      wakeAudio();
      scan(ticket.code);
    });
    li.append(who, button);
    return li;
  }));
}

// ---------- sync ----------
async function refreshPending() {
  const items = await queueAll();
  state.pending = items.length;
  $("pending").textContent = items.length ? tn("pending", items.length) : t("synced_none");
  return items;
}

let syncTimer = null;
function syncSoon() {
  clearTimeout(syncTimer);
  syncTimer = setTimeout(sync, 300);
}

async function sync() {
  if (state.syncing || !navigator.onLine || !state.local) return;
  const items = await refreshPending();
  if (!items.length) return;
  state.syncing = true;
  let synced = 0;
  const conflicts = [];
  try {
    for (let i = 0; i < items.length; i += 500) {
      const chunk = items.slice(i, i + 500);
      const reply = await request("/scans/batch", {
        method: "POST",
        body: {
          scans: chunk.map(({ code, client_scan_id, scanned_at, device: name, direction: way, offline_result }) => ({
            code, client_scan_id, scanned_at, device: name, direction: way, offline_result,
          })),
        },
      });
      const results = reply?.results || [];
      const done = [];
      for (const [index, item] of chunk.entries()) {
        const answer = results[index];
        if (!answer) continue;
        state.local.apply(answer, { device: item.device, at: item.scanned_at });
        if (answer.conflict || (item.offline_result === "ok" && answer.result !== "ok")) {
          conflicts.push({ item, answer });
        }
        done.push(item.client_scan_id);
      }
      // The list's state with the server's answers is kept before the scans leave the queue: a page closed in
      // between loses nothing.
      await saveBundle(state.local.bundle, state.downloadedAt);
      for (const id of done) await queueDelete(id);
      synced += done.length;
      if (state.last && done.includes(state.last.item.client_scan_id)) {
        state.last.pending = false;
        $("result-note").textContent = "";
      }
    }
  } catch (error) {
    if (error instanceof HttpError && error.status === 401) signedOut();
  } finally {
    state.syncing = false;
  }
  if (synced) {
    saveLocalSoon();
    report(synced, conflicts);
    pollStats();
  }
  await refreshPending();
}

function report(synced, conflicts) {
  const parts = [tn("synced", synced)];
  if (conflicts.length) parts.push(tn("conflicts", conflicts.length));
  $("sync-report").textContent = parts.join(", ");
  const list = $("conflicts");
  list.prepend(...conflicts.map(({ item, answer }) => {
    const li = document.createElement("li");
    const ticket = state.local.ticket(answer.ticket_id ?? item.answer?.ticket_id);
    const name = answer.attendee_name || item.answer?.attendee_name || ticket?.name || item.code;
    li.textContent = answer.result === "already" || (answer.conflict && answer.first_at)
      ? t("conflict_already", { name, time: hhmm(answer.first_at), device: answer.first_device || "—" })
      : t("conflict_other", { name, reason: t(`result.${answer.result}`) });
    return li;
  }));
}

// ---------- start ----------
function message(head, text, link) {
  $("app").hidden = true;
  $("message").hidden = false;
  $("message-head").textContent = head;
  $("message-text").textContent = text;
  const a = $("message-link");
  a.hidden = !link;
  if (link) {
    a.href = link.href;
    a.textContent = link.text;
  }
}

function signedOut() {
  stopCamera();
  // The address is /scan/<slug>/<digits>: nothing in it needs escaping.
  message(t("signin_head"), t("signin_text"), { href: `/signin?next=${location.pathname}`, text: t("signin_link") });
}

function translateStatic() {
  for (const el of document.querySelectorAll("[data-t]")) el.textContent = t(el.dataset.t);
  $("direction-label").textContent = t("direction_label");
  $("camera").textContent = t("camera_start");
  $("camera").setAttribute("aria-pressed", "false");
  $("undo").textContent = t("undo");
}

function wire() {
  const deviceInput = $("device");
  deviceInput.value = localStorage.getItem(DEVICE_KEY) ?? "";
  if (!deviceInput.value) deviceInput.placeholder = t("device_default");
  deviceInput.addEventListener("change", () => localStorage.setItem(DEVICE_KEY, device()));
  $("code-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    wakeAudio();
    const input = $("code");
    const code = input.value;
    input.value = "";
    await scan(code);
    input.focus();
  });
  $("camera").addEventListener("click", () => {
    wakeAudio();
    if (camera.stream) stopCamera();
    else startCamera();
  });
  $("undo").addEventListener("click", undoLast);
  $("search").addEventListener("input", renderSearch);
  $("refresh").addEventListener("click", async () => {
    try {
      await download();
    } catch (error) {
      if (error instanceof HttpError && error.status === 401) signedOut();
    }
  });
  window.addEventListener("online", () => {
    state.reachable = true;
    renderNet();
    syncSoon();
  });
  window.addEventListener("offline", renderNet);
}

async function start() {
  translateStatic();
  const manifest = document.querySelector('link[rel="manifest"]');
  manifest.href = `/scan/manifest.webmanifest?start=${encodeURIComponent(location.pathname)}`;
  if ("serviceWorker" in navigator) navigator.serviceWorker.register("/scan/sw.js", { scope: "/scan/" }).catch(() => {});
  wire();
  message(t("loading"), "");
  const saved = await loadBundle().catch(() => null);
  try {
    await download();
  } catch (error) {
    if (error instanceof HttpError) {
      if (error.status === 401) return signedOut();
      if (error.status === 403 || error.status === 404) return message(t("no_access_head"), t("no_access_text"));
    }
    if (!saved) {
      return error instanceof Offline ? message(t("no_list_offline_head"), t("no_list_offline_text"))
        : message(t("error_head"), t("error_text"));
    }
    state.local = new LocalList(saved.bundle);
    state.downloadedAt = saved.downloaded_at;
    await reapplyQueue();
    render();
  }
  $("app").hidden = false;
  $("message").hidden = true;
  document.body.dataset.ready = "1";
  // A desk with a USB scanner types into the code field at once; a phone keeps its keyboard down for the camera.
  if (window.matchMedia("(pointer: fine)").matches) $("code").focus();
  await refreshPending();
  syncSoon();
  setInterval(pollStats, STATS_EVERY);
  setInterval(sync, SYNC_EVERY);
  setInterval(() => {
    if (online() && !state.pending) download().catch(() => {});
  }, REFRESH_EVERY);
}

start();
