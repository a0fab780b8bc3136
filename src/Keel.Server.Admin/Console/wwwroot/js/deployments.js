// Deployments: every registered endpoint with its services.
import * as api from "./api.js";
import { h, replace, time, table, notice } from "./dom.js";

export function mount(view) {
  const body = h("div", {}, h("p", { class: "muted" }, "Loading…"));
  replace(view, h("h1", {}, "Deployments"), body);
  api.deployments().then((list) => {
    replace(body, list.length === 0
      ? h("p", { class: "muted" }, "No deployments registered.")
      : table(["Deployment", "Endpoint", "Protocol", "HTTP", "Protocol versions", "Created", "Services"], list.map((d) => h("tr", {},
        h("td", { class: "id" }, d.id),
        h("td", { class: "wrap" }, d.uri ?? d.arn ?? ""),
        h("td", {}, d.protocol_type ?? ""),
        h("td", {}, d.http_version ?? ""),
        h("td", {}, d.min_protocol_version !== undefined ? `${d.min_protocol_version}–${d.max_protocol_version}` : ""),
        h("td", {}, time(d.created_at)),
        h("td", {}, h("ul", {}, (d.services ?? []).map((s) => h("li", {}, h("a", { href: `#/services/${encodeURIComponent(s.name)}` }, s.name), ` (revision ${s.revision})`))))))));
  }).catch((e) => replace(body, notice("error", e.message)));
  return null;
}
