// Invocations: a filtered list (service, key, status, text) refreshed every 2 seconds unless paused, under a
// banner naming the deadlocks the server detected (GET /deadlocks), with a cancel button per invocation.
import * as api from "./api.js";
import { h, replace, badge, invocationLink, time, ago, table, notice, confirmAction, STATUSES } from "./dom.js";
import { poller } from "./poller.js";

const LIMIT = 500;

export function buildQuery(filters) {
  const where = [];
  if (filters.service) where.push(`target_service_name = ${api.sql(filters.service)}`);
  if (filters.key) where.push(`target_service_key = ${api.sql(filters.key)}`);
  if (filters.status === "unfinished" || !filters.status) where.push("status <> 'completed'");
  else if (filters.status !== "all") where.push(`status = ${api.sql(filters.status)}`);
  if (filters.text) {
    const like = api.sql(`%${filters.text}%`);
    where.push(`(id LIKE ${like} OR target LIKE ${like} OR invoked_by_target LIKE ${like} OR last_failure LIKE ${like})`);
  }
  return "SELECT id, target, status, created_at, modified_at, retry_count, invoked_by, invoked_by_id, invoked_by_target, last_failure, completion_failure "
    + "FROM sys_invocation" + (where.length ? ` WHERE ${where.join(" AND ")}` : "")
    + ` ORDER BY created_at DESC LIMIT ${LIMIT}`;
}

export function mount(view, query) {
  const filters = {
    service: query.get("service") ?? "",
    key: query.get("key") ?? "",
    status: query.get("status") ?? "unfinished",
    text: query.get("text") ?? "",
  };

  const serviceSelect = h("select", { id: "f-service", name: "service" }, h("option", { value: "" }, "any"));
  const keyInput = h("input", { id: "f-key", name: "key", type: "text", value: filters.key, placeholder: "object or workflow key" });
  const statusSelect = h("select", { id: "f-status", name: "status" },
    h("option", { value: "unfinished" }, "unfinished"),
    h("option", { value: "all" }, "all"),
    STATUSES.map((s) => h("option", { value: s }, s)));
  statusSelect.value = filters.status;
  const textInput = h("input", { id: "f-text", name: "text", type: "search", value: filters.text, placeholder: "id, target, caller, failure" });
  const live = h("input", { id: "f-live", type: "checkbox", checked: true });
  const summary = h("span", { role: "status", "aria-live": "polite" });
  const error = h("div", {});
  const deadlocks = h("div", {});
  const actionResult = h("div", {});
  const body = h("div", {});

  const form = h("form", { class: "filters", role: "search", "aria-label": "Filter invocations" },
    h("label", { for: "f-service" }, "Service", serviceSelect),
    h("label", { for: "f-key" }, "Key", keyInput),
    h("label", { for: "f-status" }, "Status", statusSelect),
    h("label", { for: "f-text" }, "Text", textInput),
    h("button", { type: "submit", class: "primary" }, "Apply"),
    h("label", { class: "inline", for: "f-live" }, live, "Live refresh (2 s)"));

  replace(view, h("h1", {}, "Invocations"), deadlocks, actionResult, form, h("div", { class: "toolbar" }, summary), error, body);

  api.services().then((list) => {
    for (const s of list.map((x) => x.name).sort()) serviceSelect.appendChild(h("option", { value: s }, s));
    serviceSelect.value = filters.service;
  }).catch(() => { /* the list itself shows the error */ });

  async function cancel(member) {
    const ok = await confirmAction("Cancel invocation?",
      `Cancel ${member.id} (${member.target})? The handler sees a cancellation at its next await, which passes on to the calls it waits for: the cycle breaks.`,
      "Cancel invocation");
    if (!ok) return;
    try {
      replace(actionResult, notice("ok", await api.invocationAction(member.id, "cancel")));
    } catch (e) {
      replace(actionResult, notice("error", e.message));
    }
    refresh.now();
  }

  async function loadDeadlocks() {
    let cycles;
    try {
      cycles = await api.deadlocks();
    } catch {
      cycles = []; // a server without GET /deadlocks (or one refusing it): no banner; the list shows real errors
    }
    replace(deadlocks, cycles.map((cycle) => deadlockBanner(cycle, cancel)));
  }

  async function load() {
    loadDeadlocks();
    try {
      const rows = await api.query(buildQuery(filters));
      replace(error);
      replace(body, rows.length === 0
        ? h("p", { class: "muted" }, "No invocations match.")
        : table(["Invocation", "Target", "Status", "Created", "Modified", "Retries", "Caller", "Last failure"], rows.map(row)));
      replace(summary, `${rows.length}${rows.length === LIMIT ? "+" : ""} invocation${rows.length === 1 ? "" : "s"} · updated ${new Date().toLocaleTimeString()}`);
    } catch (e) {
      replace(error, h("div", { class: "notice error", role: "alert" }, e.message));
    }
  }

  const refresh = poller(load);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    filters.service = serviceSelect.value;
    filters.key = keyInput.value.trim();
    filters.status = statusSelect.value;
    filters.text = textInput.value.trim();
    const params = new URLSearchParams(Object.entries(filters).filter(([, v]) => v));
    history.replaceState(null, "", `#/invocations${params.size ? `?${params}` : ""}`);
    refresh.now();
  });
  for (const control of [serviceSelect, statusSelect]) control.addEventListener("change", () => form.requestSubmit());
  live.addEventListener("change", () => refresh.setEnabled(live.checked));
  refresh.start();
  return () => refresh.stop();
}

/** One standing cycle: its invocations in order, each waiting on the next (the last on the first), each with a cancel button. */
function deadlockBanner(cycle, cancel) {
  const members = cycle.invocations ?? [];
  return h("div", { class: "notice cycle", role: "alert", "data-deadlock": "" },
    `Deadlock: ${members.length} invocations wait for each other in a cycle (detected `, time(cycle.detected_at),
    "). None can finish until one is cancelled or killed.",
    h("ol", { class: "deadlock" }, members.map((m) => h("li", { "data-id": m.id },
      invocationLink(m.id, m.target), ` ${m.id} waits on the next one's ${m.waits_on === "lock" ? "key lock" : "call result"} `,
      h("button", { type: "button", "aria-label": `Cancel ${m.id}`, onclick: () => cancel(m) }, "Cancel")))));
}

function row(r) {
  const failed = r.status === "completed" && Boolean(r.completion_failure);
  return h("tr", { "data-id": r.id },
    h("td", { class: "id" }, invocationLink(r.id)),
    h("td", { class: "wrap" }, r.target ?? ""),
    h("td", {}, badge(r.status, failed)),
    h("td", {}, time(r.created_at)),
    h("td", { title: r.modified_at ?? "" }, ago(r.modified_at)),
    h("td", {}, r.retry_count ?? ""),
    h("td", {}, r.invoked_by_id ? [invocationLink(r.invoked_by_id, r.invoked_by_target ?? r.invoked_by_id)] : h("span", { class: "muted" }, r.invoked_by ?? "ingress")),
    h("td", { class: "wrap" }, r.last_failure ?? r.completion_failure ?? ""));
}
