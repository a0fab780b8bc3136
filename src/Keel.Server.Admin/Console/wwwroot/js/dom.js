// Building the page from data: every server-provided string goes in as a text node or an attribute value,
// never as HTML.

/** h("a", {href: "#/x", class: "c", onclick: f}, "text", child, [more]) */
export function h(tag, attributes, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") element.addEventListener(name.slice(2), value);
    else if (name === "class") element.className = value;
    else if (name === "value") element.value = value;
    else if (name === "checked") element.checked = Boolean(value);
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(element, child);
    else if (child instanceof Node) element.appendChild(child);
    else element.appendChild(document.createTextNode(String(child)));
  }
}

export function replace(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

export const STATUSES = ["pending", "scheduled", "ready", "running", "backing-off", "suspended", "paused", "completed"];

export function badge(status, failed = false) {
  const known = STATUSES.includes(status) ? status : "pending";
  return h("span", { class: `badge ${failed ? "failed" : known}` }, failed ? `${status} (failed)` : status ?? "unknown");
}

/** Keeps the ?admin= query string: navigation is by hash only. */
export const invocationHref = (id) => `#/invocations/${encodeURIComponent(id)}`;

export const invocationLink = (id, text) => h("a", { href: invocationHref(id), class: "id" }, text ?? id);

export function time(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  return h("time", { datetime: iso, title: iso }, date.toLocaleString(undefined, { dateStyle: "short", timeStyle: "medium" }));
}

export function ago(iso) {
  if (!iso) return "";
  const seconds = Math.round((Date.now() - new Date(iso).getTime()) / 1000);
  if (!Number.isFinite(seconds)) return "";
  if (seconds < 60) return `${Math.max(0, seconds)}s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ago`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)}h ago`;
  return `${Math.floor(seconds / 86400)}d ago`;
}

export function notice(kind, text) {
  return h("div", { class: `notice ${kind}`, role: kind === "error" ? "alert" : "status" }, text);
}

export function table(headers, rows, caption) {
  return h("table", {},
    caption ? h("caption", { class: "muted" }, caption) : null,
    h("thead", {}, h("tr", {}, headers.map((header) => h("th", { scope: "col" }, header)))),
    h("tbody", {}, rows));
}

const dialog = () => document.getElementById("confirm");

/** A modal confirmation: resolves true when the operator confirms. */
export function confirmAction(title, text, confirmLabel) {
  const box = dialog();
  replace(document.getElementById("confirm-title"), title);
  replace(document.getElementById("confirm-text"), text);
  replace(document.getElementById("confirm-yes"), confirmLabel);
  box.returnValue = "";
  return new Promise((resolve) => {
    box.addEventListener("close", () => resolve(box.returnValue === "ok"), { once: true });
    box.showModal();
    document.getElementById("confirm-no").focus();
  });
}

/** Bytes from a lowercase hex string (SQL's binary columns as JSON). */
export function hexToBytes(hex) {
  if (typeof hex !== "string" || hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) return null;
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.substr(i * 2, 2), 16);
  return bytes;
}

/** A value as the operator wants to read it: pretty JSON, else UTF-8 text, else hex. */
export function decodeValue(bytes) {
  if (!bytes) return { kind: "empty", text: "" };
  let text;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return { kind: "hex", text: Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(" ") };
  }
  try {
    return { kind: "json", text: JSON.stringify(JSON.parse(text), null, 2) };
  } catch {
    return { kind: "text", text };
  }
}
