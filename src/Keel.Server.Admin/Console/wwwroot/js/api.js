// The admin API, and nothing else: SQL introspection (POST /query), services, deployments, invocation
// controls and state. Relative URLs by default; `?admin=http://host:9070` points the console at another
// server (which must then allow cross-origin requests from this page).

import { askForToken, currentToken, forgetToken } from "./auth.js";

const params = new URLSearchParams(window.location.search);
export const adminBase = (params.get("admin") ?? "").replace(/\/+$/, "");

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function send(method, path, body, accept, token) {
  const headers = { accept };
  if (body !== undefined) headers["content-type"] = "application/json";
  if (token) headers.authorization = `Bearer ${token}`;
  try {
    return await fetch(adminBase + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    throw new ApiError(0, `Cannot reach the admin API at ${adminBase || window.location.origin} (${e.message}).`);
  }
}

/** Sends with the token, if any; a 401 asks for one (again, if it was refused) and sends once more. */
async function authorized(method, path, body, accept) {
  for (;;) {
    const token = currentToken();
    const response = await send(method, path, body, accept, token);
    if (response.status !== 401) return response;
    // Another request may have got a new token while this one was on its way: try that before asking.
    if (currentToken() !== token) continue;
    if (token) forgetToken();
    if (!(await askForToken(Boolean(token)))) {
      throw new ApiError(401, "401 Unauthorized: the admin API needs a token. Reload the page to enter it.");
    }
  }
}

async function request(method, path, body, accept = "application/json") {
  const response = await authorized(method, path, body, accept);
  const text = await response.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!response.ok) {
    const message = (json && typeof json.message === "string" && json.message) || text || response.statusText;
    throw new ApiError(response.status, `${response.status} ${response.statusText}: ${message}`);
  }
  return { status: response.status, statusText: response.statusText, json, text };
}

/** Runs one SQL statement; the rows as objects (null columns may be left out). */
export async function query(sql) {
  const { json } = await request("POST", "/query", { query: sql });
  return json?.rows ?? [];
}

export const services = async () => (await request("GET", "/services")).json?.services ?? [];
export const service = async (name) => (await request("GET", `/services/${encodeURIComponent(name)}`)).json;
/** GET /deadlocks (Keel's own): the cycles of invocations waiting for each other that stand now, oldest first. */
export const deadlocks = async () => (await request("GET", "/deadlocks")).json?.deadlocks ?? [];
export const deployments = async () => (await request("GET", "/deployments")).json?.deployments ?? [];
export const patchService = async (name, changes) => (await request("PATCH", `/services/${encodeURIComponent(name)}`, changes)).json;

/** PATCH /invocations/{id}/{action}: the answer's status line (errors throw with the server's message). */
export async function invocationAction(id, action) {
  const answer = await request("PATCH", `/invocations/${encodeURIComponent(id)}/${action}`);
  return `${action}: ${answer.status} ${answer.statusText || ""}`.trim();
}

/** Replaces one key's whole state: entries are {name: Uint8Array}. */
export async function replaceState(serviceName, key, entries) {
  const newState = {};
  for (const [name, bytes] of Object.entries(entries)) newState[name] = Array.from(bytes);
  const answer = await request("POST", `/services/${encodeURIComponent(serviceName)}/state`, { object_key: key, new_state: newState });
  return answer.status;
}

/** A SQL string literal. */
export const sql = (value) => `'${String(value).replaceAll("'", "''")}'`;

export const isInvocationId = (id) => typeof id === "string" && /^inv_[0-9A-Za-z]+$/.test(id);
