// One invocation: its status, its journal as a timeline, its call tree (callers up, what it waits on down,
// with any cycle called out) and the operator's actions.
import * as api from "./api.js";
import { h, replace, badge, invocationLink, time, ago, table, notice, confirmAction } from "./dom.js";
import { buildGraph, findCycle, describeCycle, callers, keyLabel } from "./calltree.js";
import { normalizeJournal } from "./journal.js";
import { poller } from "./poller.js";

const ROW_COLUMNS = "id, target, target_service_name, target_service_key, target_handler_name, target_service_ty, status, invoked_by, invoked_by_id, invoked_by_target";

const ACTIONS = [
  { action: "cancel", label: "Cancel", danger: false, explain: "The handler sees a cancellation (a terminal error) at its next await and can clean up; it passes the cancellation on to the calls it waits for." },
  { action: "kill", label: "Kill", danger: true, explain: "Ends it at once without running any more of its code, kills the calls it waits for and releases its lock. Its effects may be left half done." },
  { action: "pause", label: "Pause", danger: false, explain: "Stops the current attempt; it stays paused until resumed." },
  { action: "resume", label: "Resume", danger: false, explain: "Starts a new attempt now, with a fresh retry budget." },
  { action: "purge", label: "Purge", danger: true, explain: "Forgets a completed invocation: its status, journal, result and idempotency key." },
];

export function mount(view, id) {
  if (!api.isInvocationId(id)) {
    replace(view, h("h1", {}, "Invocation"), notice("error", `'${id}' is not an invocation id (inv_…).`));
    return null;
  }
  const header = h("section", { class: "panel", "aria-labelledby": "inv-title" });
  const result = h("div", { "aria-live": "polite" });
  const tree = h("section", { class: "panel", "aria-labelledby": "tree-title" });
  const journal = h("section", { class: "panel", "aria-labelledby": "journal-title" });
  const live = h("input", { id: "i-live", type: "checkbox", checked: true });
  const updated = h("span", { role: "status" });
  replace(view,
    h("p", {}, h("a", { href: "#/invocations" }, "← Invocations")),
    h("h1", { id: "inv-title" }, "Invocation ", h("span", { class: "id" }, id)),
    h("div", { class: "toolbar" }, h("label", { class: "inline", for: "i-live" }, live, "Live refresh (2 s)"), updated),
    header, result, tree, journal);

  let services = null;
  let shownJournal = null;
  async function load() {
    try {
      services ??= await api.services().catch(() => []);
      const [rows, ownJournal, unfinished, waiting] = await Promise.all([
        api.query(`SELECT * FROM sys_invocation WHERE id = ${api.sql(id)}`),
        api.query(`SELECT "index", entry_type, name, completed, invoked_id, invoked_target, sleep_wakeup_at, promise_name, appended_at, entry_json FROM sys_journal WHERE id = ${api.sql(id)} ORDER BY "index"`),
        api.query(`SELECT ${ROW_COLUMNS} FROM sys_invocation WHERE status <> 'completed' LIMIT 10000`),
        // Calls and their completions in unfinished journals: an unanswered call is an edge of the call tree.
        api.query("SELECT id, \"index\", entry_type, completed, invoked_id, invoked_target, entry_json FROM sys_journal "
          + "WHERE (entry_type = 'Command: Call' OR entry_type LIKE 'Notification:%') AND id IN (SELECT id FROM sys_invocation WHERE status <> 'completed') LIMIT 50000"),
      ]);
      const entries = normalizeJournal(ownJournal);
      const calls = normalizeJournal(waiting).filter((e) => e.entry_type === "Command: Call" && e.completed === false && e.invoked_id);
      const invocation = rows[0];
      if (!invocation) {
        replace(header, notice("error", `No invocation ${id} (it may have been purged, or its retention ended).`));
        replace(tree);
        replace(journal);
        return;
      }
      renderHeader(header, invocation, result, () => refresh.now());
      await renderTree(tree, invocation, unfinished, calls, services);
      const journalKey = JSON.stringify(entries);
      if (journalKey !== shownJournal) {
        shownJournal = journalKey;
        renderJournal(journal, entries);
      }
      replace(updated, `updated ${new Date().toLocaleTimeString()}`);
    } catch (e) {
      replace(result, notice("error", e.message));
    }
  }

  const refresh = poller(load);
  live.addEventListener("change", () => refresh.setEnabled(live.checked));
  refresh.start();
  return () => refresh.stop();
}

function renderHeader(section, inv, result, reload) {
  const failed = inv.status === "completed" && Boolean(inv.completion_failure);
  const facts = [
    ["Status", badge(inv.status, failed)],
    ["Target", inv.target],
    ["Service type", inv.target_service_ty],
    ["Caller", inv.invoked_by_id ? invocationLink(inv.invoked_by_id, `${inv.invoked_by_target ?? ""} (${inv.invoked_by_id})`) : (inv.invoked_by ?? "")],
    ["Created", time(inv.created_at)],
    ["Modified", [time(inv.modified_at), " ", h("span", { class: "muted" }, ago(inv.modified_at))]],
    ["Running since", time(inv.running_at)],
    ["Scheduled start", time(inv.scheduled_start_at)],
    ["Completed", time(inv.completed_at)],
    ["Retries", inv.retry_count],
    ["Next retry", time(inv.next_retry_at)],
    ["Last failure", inv.last_failure ? [inv.last_failure_error_code ? h("code", {}, `[${inv.last_failure_error_code}] `) : null, inv.last_failure,
      inv.last_failure_related_entry_index !== undefined ? h("span", { class: "muted" }, ` (at entry ${inv.last_failure_related_entry_index}${inv.last_failure_related_entry_type ? ` ${inv.last_failure_related_entry_type}` : ""}${inv.last_failure_related_entry_name ? ` "${inv.last_failure_related_entry_name}"` : ""})`) : null] : null],
    ["Result", inv.completion_result],
    ["Failure", inv.completion_failure],
    ["Idempotency key", inv.idempotency_key],
    ["Deployment", inv.pinned_deployment_id ?? inv.last_attempt_deployment_id],
    ["Journal", inv.journal_size !== undefined ? `${inv.journal_size} entries` : null],
  ].filter(([, value]) => value !== undefined && value !== null && value !== "");

  const buttons = ACTIONS.map(({ action, label, danger, explain }) => h("button", {
    type: "button",
    class: danger ? "danger" : null,
    "data-action": action,
    onclick: async () => {
      const ok = await confirmAction(`${label} invocation?`, `${label} ${inv.id} (${inv.target})? ${explain}`, `${label} invocation`);
      if (!ok) return;
      try {
        replace(result, notice("ok", await api.invocationAction(inv.id, action)));
      } catch (e) {
        replace(result, notice("error", e.message));
      }
      reload();
    },
  }, label));

  replace(section,
    h("dl", { class: "facts" }, facts.map(([name, value]) => [h("dt", {}, name), h("dd", {}, value)])),
    h("div", { class: "actions", role: "group", "aria-label": "Actions" }, buttons));
}

async function renderTree(section, inv, unfinished, calls, services) {
  const kinds = new Map();
  for (const s of services) for (const handler of s.handlers ?? []) kinds.set(`${s.name}/${handler.name}`, handler.ty);
  const exclusive = (service, handler) => {
    const kind = kinds.get(`${service}/${handler}`);
    return kind === undefined ? true : kind !== "Shared";
  };
  const graph = buildGraph(unfinished.some((u) => u.id === inv.id) ? unfinished : [...unfinished, inv], calls, exclusive);
  const lookup = async (missing) => (api.isInvocationId(missing) ? (await api.query(`SELECT ${ROW_COLUMNS} FROM sys_invocation WHERE id = ${api.sql(missing)}`))[0] : null);
  const up = await callers(inv.id, graph.nodes, lookup);
  const cycle = findCycle(graph, inv.id);
  const inCycle = new Set((cycle ?? []).map((step) => step.id));

  const node = (i, self) => h("span", { class: `node${self ? " self" : ""}${inCycle.has(i.id) ? " in-cycle" : ""}` },
    self ? h("strong", {}, i.target ?? i.id) : invocationLink(i.id, i.target ?? i.id),
    badge(i.status),
    h("span", { class: "id muted" }, i.id));

  // Down: what it waits on, depth first; a node already on the path closes a cycle.
  const shown = new Set();
  function down(id, path) {
    const items = [];
    for (const edge of graph.edges.get(id) ?? []) {
      const target = graph.nodes.get(edge.to) ?? { id: edge.to, target: edge.target, status: "unknown" };
      const why = edge.why === "call" ? "calls" : `waits for the lock of ${edge.target} held by`;
      if (path.includes(edge.to)) {
        items.push(h("li", {}, h("span", { class: "edge back" }, `${why} ↺`), node(target, edge.to === inv.id), h("span", { class: "edge back" }, " (cycle)")));
      } else if (shown.has(edge.to)) {
        items.push(h("li", {}, h("span", { class: "edge" }, why), node(target, false), h("span", { class: "muted" }, " (shown above)")));
      } else {
        shown.add(edge.to);
        items.push(h("li", {}, h("span", { class: "edge" }, why), node(target, false), down(edge.to, [...path, edge.to])));
      }
    }
    return items.length ? h("ul", {}, items) : null;
  }

  const callerItems = up.map((c) => h("li", {}, h("span", { class: "edge" }, "called by"), node(c, false)));
  replace(section,
    h("h2", { id: "tree-title" }, "Call tree"),
    cycle ? h("div", { class: "notice cycle", role: "alert", "data-cycle": "" }, `Deadlock — cycle: ${describeCycle(graph, cycle)}`) : null,
    h("p", { class: "muted" }, "Callers above; below, what it waits on: the calls it has not had an answer to, and for a queued invocation the holder of its key's lock."),
    h("ul", { class: "tree", "aria-label": "Call tree" },
      up.length ? h("li", {}, h("ul", { class: "callers" }, callerItems)) : null,
      h("li", {}, node(inv, true), down(inv.id, [inv.id]) ?? (inv.status === "completed" ? null : h("p", { class: "muted" }, "Not waiting on another invocation.")))));
  section.dataset.key = keyLabel(inv);
}

function details(e) {
  const parts = [];
  if (e.invoked_target) parts.push(h("span", {}, "→ ", e.invoked_id ? invocationLink(e.invoked_id, e.invoked_target) : e.invoked_target, " "));
  if (e.sleep_wakeup_at) parts.push(h("span", {}, "wakes up ", time(e.sleep_wakeup_at), " "));
  if (e.promise_name) parts.push(h("span", {}, `promise "${e.promise_name}" `));
  if (e.entry_json) {
    let pretty = e.entry_json;
    try { pretty = JSON.stringify(JSON.parse(e.entry_json), null, 2); } catch { /* as it is */ }
    parts.push(h("details", {}, h("summary", {}, "entry"), h("pre", { class: "value" }, pretty)));
  }
  return parts;
}

function renderJournal(section, entries) {
  replace(section,
    h("h2", { id: "journal-title" }, "Journal"),
    entries.length === 0
      ? h("p", { class: "muted" }, "No journal (not started yet, or its journal retention ended).")
      : table(["#", "Entry", "Name", "Appended", "Completed", "Details"], entries.map((e) => h("tr", {},
        h("td", {}, e.index),
        h("td", {}, e.entry_type ?? ""),
        h("td", {}, e.name ?? ""),
        h("td", {}, time(e.appended_at)),
        h("td", {}, e.completed ? "yes" : h("strong", {}, "waiting")),
        h("td", { class: "wrap" }, details(e))))));
}
