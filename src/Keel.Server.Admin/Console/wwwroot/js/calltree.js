// Who waits on whom, from what the admin API shows: an invocation waits on the invocation its uncompleted
// call (sys_journal, `Command: Call`) invoked, and a pending (inboxed) invocation on a key waits on the
// invocation holding that key's lock. A cycle in this graph is a deadlock.

/** The "waits on" graph over unfinished invocations.
 *  invocations: rows {id, target, target_service_name, target_service_key, target_handler_name, status, invoked_by_id}
 *  calls: rows {id, invoked_id, invoked_target} of uncompleted calls
 *  exclusive(service, handler): whether the handler takes its key's lock (unknown: true for keyed targets) */
export function buildGraph(invocations, calls, exclusive) {
  const nodes = new Map(invocations.map((i) => [i.id, i]));
  const edges = new Map();
  const add = (from, to, why, target) => {
    if (!edges.has(from)) edges.set(from, []);
    if (!edges.get(from).some((e) => e.to === to)) edges.get(from).push({ to, why, target });
  };
  for (const call of calls) {
    if (call.invoked_id && nodes.has(call.id)) add(call.id, call.invoked_id, "call", call.invoked_target);
  }
  const keyOf = (i) => (i.target_service_key === undefined || i.target_service_key === null ? null : `${i.target_service_name}/${i.target_service_key}`);
  const holders = new Map();
  for (const i of invocations) {
    const key = keyOf(i);
    if (key && !["pending", "scheduled", "completed"].includes(i.status) && exclusive(i.target_service_name, i.target_handler_name)) holders.set(key, i.id);
  }
  for (const i of invocations) {
    const key = keyOf(i);
    if (key && i.status === "pending" && holders.has(key) && holders.get(key) !== i.id) add(i.id, holders.get(key), "lock", key);
  }
  return { nodes, edges };
}

/** Object/key (or service/handler) of an invocation, the name a cycle is spelled with. */
export function keyLabel(invocation) {
  if (!invocation) return "?";
  if (invocation.target_service_key !== undefined && invocation.target_service_key !== null) return `${invocation.target_service_name}/${invocation.target_service_key}`;
  return invocation.target ?? invocation.id;
}

/** The first cycle reachable from `start`, as [{id, why}] where `why` is the edge leaving that node; null if none. */
export function findCycle(graph, start) {
  const path = [];
  const onPath = new Map();
  const done = new Set();
  function visit(id) {
    if (onPath.has(id)) return path.slice(onPath.get(id));
    if (done.has(id)) return null;
    onPath.set(id, path.length);
    for (const edge of graph.edges.get(id) ?? []) {
      path.push({ id, why: edge.why });
      const found = visit(edge.to);
      if (found) return found;
      path.pop();
    }
    onPath.delete(id);
    done.add(id);
    return null;
  }
  const cycle = visit(start);
  if (!cycle) return null;
  // Start the cycle at `start` when it is on it.
  const at = cycle.findIndex((step) => step.id === start);
  return at > 0 ? [...cycle.slice(at), ...cycle.slice(0, at)] : cycle;
}

/** "A/k → B/k → A/k": a lock edge joins two invocations of one key, so it adds no name. */
export function describeCycle(graph, cycle) {
  const names = [keyLabel(graph.nodes.get(cycle[0].id))];
  cycle.forEach((step, i) => {
    const next = cycle[(i + 1) % cycle.length].id;
    if (step.why === "call") names.push(keyLabel(graph.nodes.get(next)));
  });
  if (names[names.length - 1] !== names[0]) names.push(names[0]);
  return names.join(" → ");
}

/** The callers of `id`, root first, following invoked_by_id (lookup may fetch the ones not in the graph). */
export async function callers(id, nodes, lookup, limit = 16) {
  const chain = [];
  const seen = new Set([id]);
  let current = nodes.get(id) ?? (await lookup(id));
  while (current?.invoked_by_id && chain.length < limit && !seen.has(current.invoked_by_id)) {
    seen.add(current.invoked_by_id);
    const parent = nodes.get(current.invoked_by_id) ?? (await lookup(current.invoked_by_id)) ?? { id: current.invoked_by_id, target: current.invoked_by_target, status: "unknown (gone)" };
    chain.unshift(parent);
    current = parent;
  }
  return chain;
}
