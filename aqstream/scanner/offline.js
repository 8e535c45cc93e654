// The scanner's own copy of a check-in list (the bundle from GET /scan-api/{org}/checkin-lists/{id}/offline) and
// the decisions it takes without the network: the same answers the server gives (services/checkin/scans.py).
// A signed ticket ("A1.<ticket>.<event>.<type>.<valid until, epoch minutes>.<code>~<signature>") is verified with
// the event's Ed25519 public key (WebCrypto); a plain code is looked up in the downloaded tickets.

const SEPARATOR = "~";
const VERSION = "A1";

function hexBytes(hex) {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.substr(i * 2, 2), 16);
  return out;
}

function b64urlDecode(text) {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return null;
  const padded = text.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (text.length % 4)) % 4);
  try {
    const raw = atob(padded);
    return Uint8Array.from(raw, (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}

function b64urlEncode(bytes) {
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

// The parts of a signed payload, or null when it is not one of ours (the server's BadTicket: "invalid").
export function parseSigned(text) {
  const cut = text.lastIndexOf(SEPARATOR);
  const message = text.slice(0, cut);
  const signatureText = text.slice(cut + 1);
  const signature = b64urlDecode(signatureText);
  // One payload, one spelling: base64's unused low bits must be zero, as the server checks.
  if (!signature || b64urlEncode(signature) !== signatureText) return null;
  const parts = [];
  let rest = message;
  for (let i = 0; i < 5; i++) {
    const dot = rest.indexOf(".");
    if (dot < 0) return null;
    parts.push(rest.slice(0, dot));
    rest = rest.slice(dot + 1);
  }
  parts.push(rest);
  const [version, ticket, event, type, minutes, code] = parts;
  if (version !== VERSION || ![ticket, event, type, minutes].every((n) => /^[0-9]{1,15}$/.test(n))) return null;
  return {
    message, signature, code,
    ticketId: Number(ticket), eventId: Number(event), typeId: Number(type), validUntil: Number(minutes) * 60000,
  };
}

// A time from the server: naive ISO times (SQLite keeps UTC without an offset) are UTC.
export function toDate(iso) {
  if (!iso) return null;
  const text = String(iso);
  return new Date(/(Z|[+-][0-9]{2}:?[0-9]{2})$/i.test(text) ? text : `${text}Z`);
}

export function isSigned(text) {
  return text.includes(SEPARATOR);
}

export class LocalList {
  constructor(bundle) {
    this.bundle = bundle;
    this.list = bundle.list;
    this.event = bundle.event;
    this.byId = new Map();
    this.byCode = new Map();
    for (const ticket of bundle.tickets || []) {
      this.byId.set(ticket.id, ticket);
      this.byCode.set(ticket.code, ticket);
    }
    this.revoked = new Set(bundle.revoked || []);
    this.keyPromise = null;
  }

  // The event's public key, or null where the browser has no Ed25519 (then a signed code counts as its plain code).
  publicKey() {
    if (!this.keyPromise) {
      this.keyPromise = (async () => {
        try {
          return await crypto.subtle.importKey("raw", hexBytes(this.event.public_key), { name: "Ed25519" }, false,
            ["verify"]);
        } catch {
          return null;
        }
      })();
    }
    return this.keyPromise;
  }

  admits(typeId) {
    const types = this.list.ticket_type_ids || [];
    return types.length === 0 || types.includes(typeId);
  }

  // The ticket a scan names, or the refusal: {refusal, ticket, claims}.
  async find(text) {
    if (!isSigned(text)) {
      const ticket = text.length <= 64 ? this.byCode.get(text) : null;
      return ticket ? { ticket } : { refusal: "unknown" };
    }
    const claims = parseSigned(text);
    if (!claims) return { refusal: "invalid" };
    const key = await this.publicKey();
    if (key) {
      let good = false;
      try {
        good = await crypto.subtle.verify({ name: "Ed25519" }, key, claims.signature,
          new TextEncoder().encode(claims.message));
      } catch {
        good = false;
      }
      if (!good) return { refusal: "invalid" };
    }
    if (claims.eventId !== this.event.id) return { refusal: "unknown" };
    let ticket = this.byId.get(claims.ticketId);
    if (!ticket) {
      // Without the key a payload proves nothing: only a ticket this device knows is let in.
      if (!key) return { refusal: "unknown" };
      // A genuine ticket this copy of the list does not hold: cancelled (on the revocation list), or sold after
      // the list was downloaded, which its signature vouches for.
      ticket = {
        id: claims.ticketId, code: claims.code, ticket_type_id: claims.typeId, ticket_type: "", name: "",
        email: "", status: this.revoked.has(claims.ticketId) ? "cancelled" : "valid", checked_in_at: null,
        inside: false, device: "", answers: [], added_offline: true,
      };
    } else if (ticket.code !== claims.code) {
      return { refusal: "revoked", ticket };  // signed for a code the ticket no longer has: re-issued
    }
    return { ticket, claims };
  }

  // An answer shaped like the server's ScanOut. `now` is a Date.
  async decide(scanned, direction = "in", now = new Date()) {
    const text = (scanned || "").trim();
    const { refusal, ticket, claims } = await this.find(text);
    const answer = (result, extra = {}) => ({
      result, ticket_id: ticket ? ticket.id : null, attendee_name: ticket?.name || "",
      ticket_type: ticket?.ticket_type || "", answers: [], first_at: null, first_device: "", ...extra,
    });
    if (refusal) return answer(refusal);
    // The server's order (services/checkin/scans.py): the payload's validity, then the ticket, then the list.
    // The later of the payload's validity and the event's current one: an event moved later keeps its tickets.
    const eventUntil = this.event.valid_until ? Date.parse(this.event.valid_until) : 0;
    if (claims && Math.max(claims.validUntil, eventUntil) <= now.getTime()) return answer("closed");
    if (this.revoked.has(ticket.id) || ticket.status === "cancelled") return answer("revoked");
    if (ticket.status === "held") return answer("unpaid");
    if (!this.admits(ticket.ticket_type_id)) return answer("wrong_list");
    if (this.list.opens_at && now < toDate(this.list.opens_at)) return answer("not_yet");
    if (this.list.closes_at && now >= toDate(this.list.closes_at)) return answer("closed");
    if (direction === "out") return answer(ticket.inside ? "out" : "not_inside");
    const inAlready = this.list.allow_reentry ? ticket.inside : (ticket.inside || !!ticket.checked_in_at);
    if (inAlready) {
      return answer("already", { first_at: ticket.checked_in_at, first_device: ticket.device || "" });
    }
    const welcome = answer("ok", { answers: ticket.answers || [] });
    if (ticket.added_offline && !this.byId.has(ticket.id)) {
      this.byId.set(ticket.id, ticket);
      this.byCode.set(ticket.code, ticket);
      this.bundle.tickets.push(ticket);
    }
    return welcome;
  }

  ticket(id) {
    return id == null ? null : this.byId.get(id) || null;
  }

  snapshot(id) {
    const ticket = this.ticket(id);
    return ticket ? { inside: ticket.inside, checked_in_at: ticket.checked_in_at, device: ticket.device } : null;
  }

  restore(id, snapshot) {
    const ticket = this.ticket(id);
    if (ticket && snapshot) Object.assign(ticket, snapshot);
  }

  // What an answer (the server's or this device's) means for the ticket's state here.
  apply(answer, { device = "", at = new Date().toISOString() } = {}) {
    const ticket = this.ticket(answer.ticket_id);
    if (!ticket) return;
    if (answer.result === "ok") {
      ticket.inside = true;
      if (!ticket.checked_in_at) {
        ticket.checked_in_at = at;
        ticket.device = device;
      }
    } else if (answer.result === "already") {
      ticket.inside = true;
      if (answer.first_at) {
        ticket.checked_in_at = answer.first_at;
        ticket.device = answer.first_device || "";
      }
    } else if (answer.result === "out") {
      ticket.inside = false;
    }
  }

  undone(id) {
    const ticket = this.ticket(id);
    if (ticket) Object.assign(ticket, { inside: false, checked_in_at: null, device: "" });
  }

  // Inside / checked in / total for the list and per ticket type, as the server's /stats has them.
  stats() {
    const types = new Map();
    const all = { inside: 0, checked_in: 0, total: 0 };
    for (const ticket of this.byId.values()) {
      if (ticket.status !== "valid" || !this.admits(ticket.ticket_type_id) || this.revoked.has(ticket.id)) continue;
      let row = types.get(ticket.ticket_type_id);
      if (!row) {
        row = { ticket_type_id: ticket.ticket_type_id, name: ticket.ticket_type || "", inside: 0, checked_in: 0, total: 0 };
        types.set(ticket.ticket_type_id, row);
      }
      for (const counts of [all, row]) {
        counts.total += 1;
        if (ticket.checked_in_at) counts.checked_in += 1;
        if (ticket.inside) counts.inside += 1;
      }
    }
    return { ...all, per_type: [...types.values()].sort((a, b) => a.name.localeCompare(b.name)) };
  }

  search(query, limit = 20) {
    const words = query.trim().toLowerCase().split(/\s+/).filter(Boolean);
    if (!words.length) return [];
    const found = [];
    for (const ticket of this.byId.values()) {
      const text = `${ticket.name || ""} ${ticket.email || ""} ${ticket.code || ""}`.toLowerCase();
      if (words.every((w) => text.includes(w))) found.push(ticket);
    }
    found.sort((a, b) => (a.name || "").localeCompare(b.name || ""));
    return found.slice(0, limit);
  }
}
