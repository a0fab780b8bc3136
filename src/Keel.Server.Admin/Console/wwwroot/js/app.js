// The console's router: hash routes, one page mounted at a time (a page returns a dispose function that
// stops its polling).
import { adminBase } from "./api.js";
import { h, replace } from "./dom.js";
import * as invocations from "./invocations.js";
import * as invocation from "./invocation.js";
import * as state from "./state.js";
import * as services from "./services.js";
import * as deployments from "./deployments.js";

const main = document.getElementById("main");
let dispose = null;

/** "#/a/b?x=1" → {parts: ["a","b"], query: URLSearchParams} */
export function parseHash(hash) {
  const raw = hash.replace(/^#\/?/, "");
  const [path, search] = raw.split("?", 2);
  return { parts: path.split("/").filter(Boolean).map(decodeURIComponent), query: new URLSearchParams(search ?? "") };
}

function route() {
  if (typeof dispose === "function") dispose();
  dispose = null;
  const { parts, query } = parseHash(window.location.hash);
  const [page, ...rest] = parts;
  let name = page ?? "invocations";
  const view = h("div", {});
  replace(main, view);
  try {
    if (name === "invocations" && rest.length > 0) dispose = invocation.mount(view, rest[0]);
    else if (name === "services") dispose = services.mount(view, rest[0] ?? null);
    else if (name === "deployments") dispose = deployments.mount(view);
    else if (name === "state") dispose = state.mount(view, query);
    else {
      name = "invocations";
      dispose = invocations.mount(view, query);
    }
  } catch (e) {
    replace(view, h("div", { class: "notice error", role: "alert" }, String(e?.message ?? e)));
  }
  for (const link of document.querySelectorAll("header nav a")) {
    if (link.dataset.page === name) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

replace(document.getElementById("admin-base"), `admin API: ${adminBase || window.location.origin}`);
window.addEventListener("hashchange", route);
route();
