// Services: the list, and one service's settings (editable through PATCH /services/{name}) and handlers.
import * as api from "./api.js";
import { h, replace, table, notice } from "./dom.js";

const SETTINGS = [
  { name: "idempotency_retention", label: "Idempotency retention" },
  { name: "workflow_completion_retention", label: "Workflow completion retention", workflowOnly: true },
  { name: "journal_retention", label: "Journal retention" },
  { name: "inactivity_timeout", label: "Inactivity timeout" },
  { name: "abort_timeout", label: "Abort timeout" },
];

// Friendly durations ("10s", "2d", "1 day 2 hours", "500ms") or ISO 8601 ("PT10S"); the server has the last word.
const DURATION = /^(0|P(?!$)(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?|(\d+(\.\d+)?\s*[a-zA-Zµ]+[\s,]*)+)$/;

export function mount(view, name) {
  return name ? mountOne(view, name) : mountList(view);
}

function mountList(view) {
  const body = h("div", {}, h("p", { class: "muted" }, "Loading…"));
  replace(view, h("h1", {}, "Services"), body);
  api.services().then((list) => {
    list.sort((a, b) => a.name.localeCompare(b.name));
    replace(body, list.length === 0
      ? h("p", { class: "muted" }, "No services registered.")
      : table(["Service", "Type", "Revision", "Public", "Handlers", "Idempotency retention", "Workflow retention", "Journal retention", "Inactivity / abort timeout", "Deployment"],
        list.map((s) => h("tr", {},
          h("td", {}, h("a", { href: `#/services/${encodeURIComponent(s.name)}` }, s.name)),
          h("td", {}, s.ty ?? ""),
          h("td", {}, s.revision ?? ""),
          h("td", {}, s.public ? "yes" : "no"),
          h("td", { class: "wrap" }, (s.handlers ?? []).map((x) => x.name).join(", ")),
          h("td", {}, s.idempotency_retention ?? ""),
          h("td", {}, s.workflow_completion_retention ?? ""),
          h("td", {}, s.journal_retention ?? ""),
          h("td", {}, `${s.inactivity_timeout ?? "–"} / ${s.abort_timeout ?? "–"}`),
          h("td", { class: "id" }, s.deployment_id ?? "")))));
  }).catch((e) => replace(body, notice("error", e.message)));
  return null;
}

function mountOne(view, name) {
  const message = h("div", { "aria-live": "polite" });
  const form = h("form", { class: "settings", "aria-label": `Settings of ${name}`, novalidate: true });
  const handlers = h("div", {});
  const facts = h("p", { class: "muted" });
  replace(view,
    h("p", {}, h("a", { href: "#/services" }, "← Services")),
    h("h1", {}, "Service ", h("span", { class: "id" }, name)),
    facts,
    h("section", { class: "panel", "aria-labelledby": "settings-title" }, h("h2", { id: "settings-title" }, "Settings"), form, message),
    h("section", { class: "panel", "aria-labelledby": "handlers-title" }, h("h2", { id: "handlers-title" }, "Handlers"), handlers));

  function render(s) {
    replace(facts, `${s.ty} · revision ${s.revision} · deployment ${s.deployment_id ?? "–"}`);
    const inputs = new Map();
    const fields = SETTINGS.filter((f) => !f.workflowOnly || s.ty === "Workflow").map((f) => {
      const input = h("input", { id: `s-${f.name}`, name: f.name, type: "text", value: s[f.name] ?? "", "aria-describedby": `e-${f.name}` });
      inputs.set(f.name, input);
      return h("label", { for: `s-${f.name}` }, f.label, input, h("span", { id: `e-${f.name}`, class: "field-error" }));
    });
    const isPublic = h("input", { id: "s-public", name: "public", type: "checkbox", checked: Boolean(s.public) });
    replace(form, fields,
      h("label", { class: "inline", for: "s-public" }, isPublic, "Public (reachable through the ingress)"),
      h("div", {}, h("button", { type: "submit", class: "primary" }, "Save")));
    form.onsubmit = async (event) => {
      event.preventDefault();
      const changes = {};
      let valid = true;
      for (const [field, input] of inputs) {
        const value = input.value.trim();
        const error = document.getElementById(`e-${field}`);
        replace(error);
        input.removeAttribute("aria-invalid");
        if (value === (s[field] ?? "")) continue;
        if (!DURATION.test(value)) {
          replace(error, "A duration: 10s, 5m, 2d, 1 day 2 hours, PT10S or 0.");
          input.setAttribute("aria-invalid", "true");
          valid = false;
          continue;
        }
        changes[field] = value;
      }
      if (isPublic.checked !== Boolean(s.public)) changes.public = isPublic.checked;
      if (!valid) {
        replace(message, notice("error", "Fix the fields marked above."));
        return;
      }
      if (Object.keys(changes).length === 0) {
        replace(message, notice("ok", "Nothing changed."));
        return;
      }
      try {
        const updated = await api.patchService(name, changes);
        render(updated);
        replace(message, notice("ok", `Saved: ${Object.entries(changes).map(([k, v]) => `${k} = ${v}`).join(", ")}.`));
      } catch (e) {
        replace(message, notice("error", e.message));
      }
    };
    replace(handlers, table(["Handler", "Kind", "Public", "Input", "Output", "Retention / timeouts"], (s.handlers ?? []).map((x) => h("tr", {},
      h("td", {}, x.name),
      h("td", {}, x.ty ?? ""),
      h("td", {}, x.public === false ? "no" : "yes"),
      h("td", { class: "wrap" }, x.input_description ?? ""),
      h("td", { class: "wrap" }, x.output_description ?? ""),
      h("td", { class: "wrap" }, ["idempotency_retention", "workflow_completion_retention", "journal_retention", "inactivity_timeout", "abort_timeout"]
        .filter((k) => x[k] !== undefined && x[k] !== null).map((k) => `${k} ${x[k]}`).join(", "))))));
  }

  api.service(name).then(render).catch((e) => replace(message, notice("error", e.message)));
  return null;
}
