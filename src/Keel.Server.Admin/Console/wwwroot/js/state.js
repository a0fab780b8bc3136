// State: an object's (or workflow's) keys, and one key's entries decoded for reading (JSON, UTF-8 text, or
// hex); entries can be edited or removed (POST /services/{name}/state replaces the key's whole state).
import * as api from "./api.js";
import { h, replace, table, notice, hexToBytes, decodeValue, confirmAction } from "./dom.js";

export function mount(view, query) {
  let service = query.get("service") ?? "";
  let key = query.get("key") ?? "";
  const serviceSelect = h("select", { id: "st-service" }, h("option", { value: "" }, "choose…"));
  const keyFilter = h("input", { id: "st-filter", type: "search", placeholder: "filter keys" });
  const keys = h("ul", { class: "keys", "aria-label": "Keys" });
  const entries = h("div", {});
  const message = h("div", { "aria-live": "polite" });
  replace(view,
    h("h1", {}, "State"),
    h("form", { class: "filters", role: "search", onsubmit: (e) => e.preventDefault() },
      h("label", { for: "st-service" }, "Object or workflow", serviceSelect),
      h("label", { for: "st-filter" }, "Key", keyFilter)),
    message,
    h("div", { class: "grid2" }, h("section", { class: "panel", "aria-label": "Keys" }, keys), h("section", { class: "panel", "aria-label": "Entries" }, entries)));

  const navigate = () => history.replaceState(null, "", `#/state?${new URLSearchParams(Object.entries({ service, key }).filter(([, v]) => v))}`);
  let allKeys = [];

  function renderKeys() {
    const filter = keyFilter.value.trim();
    const shown = allKeys.filter((k) => !filter || k.includes(filter));
    replace(keys, shown.length === 0 ? h("li", { class: "muted" }, service ? "No keys with state." : "Choose an object or workflow.") : shown.map((k) => h("li", {},
      h("button", { type: "button", "aria-pressed": String(k === key), onclick: () => { key = k; navigate(); renderKeys(); loadEntries(); } }, k))));
  }

  async function loadKeys() {
    allKeys = [];
    renderKeys();
    if (!service) return;
    try {
      const rows = await api.query(`SELECT DISTINCT service_key FROM state WHERE service_name = ${api.sql(service)} ORDER BY service_key LIMIT 1000`);
      allKeys = rows.map((r) => r.service_key);
      renderKeys();
    } catch (e) {
      replace(message, notice("error", e.message));
    }
  }

  async function loadEntries() {
    replace(entries);
    if (!service || !key) return;
    try {
      const rows = await api.query(`SELECT key, value_utf8, value, value_length FROM state WHERE service_name = ${api.sql(service)} AND service_key = ${api.sql(key)} ORDER BY key`);
      const current = new Map(rows.map((r) => [r.key, hexToBytes(r.value) ?? new TextEncoder().encode(r.value_utf8 ?? "")]));
      const save = async (next, what) => {
        try {
          await api.replaceState(service, key, Object.fromEntries(next));
          replace(message, notice("ok", what));
        } catch (e) {
          replace(message, notice("error", e.message));
        }
        loadKeys();
        loadEntries();
      };
      replace(entries,
        h("h2", {}, `${service}/${key}`),
        rows.length === 0 ? h("p", { class: "muted" }, "No state.") : table(["Name", "Value", "Bytes", ""], rows.map((r) => {
          const decoded = decodeValue(current.get(r.key));
          const cell = h("td", { class: "wrap" }, h("pre", { class: `value ${decoded.kind}` }, decoded.text));
          const edit = h("button", { type: "button", onclick: () => {
            const area = h("textarea", { "aria-label": `New value of ${r.key} (JSON or text)` });
            area.value = decoded.kind === "hex" ? "" : decoded.text;
            replace(cell, area, h("div", { class: "actions" },
              h("button", { type: "button", class: "primary", onclick: () => {
                const next = new Map(current);
                next.set(r.key, new TextEncoder().encode(area.value));
                save(next, `Saved ${r.key}.`);
              } }, "Save"),
              h("button", { type: "button", onclick: () => loadEntries() }, "Discard")));
          } }, "Edit");
          const remove = h("button", { type: "button", class: "danger", onclick: async () => {
            if (!(await confirmAction("Remove state entry?", `Remove ${r.key} from ${service}/${key}?`, "Remove"))) return;
            const next = new Map(current);
            next.delete(r.key);
            save(next, `Removed ${r.key}.`);
          } }, "Remove");
          return h("tr", {}, h("td", { class: "id" }, r.key), cell, h("td", {}, r.value_length ?? ""), h("td", {}, h("div", { class: "actions" }, edit, remove)));
        })),
        rows.length === 0 ? null : h("p", { class: "muted" }, "Saving replaces the key's whole state; the server refuses it (409) while an invocation holds the key's lock."));
    } catch (e) {
      replace(message, notice("error", e.message));
    }
  }

  serviceSelect.addEventListener("change", () => { service = serviceSelect.value; key = ""; navigate(); loadKeys(); loadEntries(); });
  keyFilter.addEventListener("input", renderKeys);
  api.services().then((list) => {
    for (const s of list.filter((x) => x.ty === "VirtualObject" || x.ty === "Workflow").map((x) => x.name).sort()) {
      serviceSelect.appendChild(h("option", { value: s }, s));
    }
    serviceSelect.value = service;
  }).catch((e) => replace(message, notice("error", e.message)));
  loadKeys();
  loadEntries();
  return null;
}
