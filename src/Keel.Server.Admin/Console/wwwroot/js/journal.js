// Journal rows as both servers give them. Keel fills `completed`, `invoked_id` and `invoked_target` for every
// entry; restate-server 1.7 leaves them empty for its newer journal and puts the details in `entry_json`
// (Restate's serde form: {"Command":{"Call":{...}}}, {"Notification":{"Completion":{"CallInvocationId":{...}}}}).
// Missing columns are derived from entry_json here.

function parse(row) {
  if (!row.entry_json) return null;
  try {
    return JSON.parse(row.entry_json);
  } catch {
    return null;
  }
}

const only = (object) => (object && typeof object === "object" ? Object.entries(object)[0] ?? [null, null] : [null, null]);

function targetName(target) {
  const [, t] = only(target);
  if (!t) return null;
  return [t.name, t.key, t.handler].filter((part) => part !== undefined && part !== null).join("/");
}

/** Rows of one or more journals → the same rows with completed / invoked_id / invoked_target filled in where derivable. */
export function normalizeJournal(rows) {
  const parsed = rows.map(parse);
  const completions = new Map(); // invocation id → completion ids that arrived
  parsed.forEach((json, i) => {
    const [kind, notification] = only(json?.Notification);
    if (kind !== "Completion") return;
    const [, completion] = only(notification);
    if (completion && completion.completion_id !== undefined) {
      if (!completions.has(rows[i].id)) completions.set(rows[i].id, new Set());
      completions.get(rows[i].id).add(completion.completion_id);
    }
  });
  return rows.map((row, i) => {
    const json = parsed[i];
    if (!json) return row;
    const out = { ...row };
    const [kind, command] = only(json.Command);
    if (command && (kind === "Call" || kind === "OneWayCall")) {
      out.invoked_id ??= command.request?.invocation_id ?? command.invocation_id;
      out.invoked_target ??= targetName(command.request?.invocation_target ?? command.invocation_target);
    }
    if (out.completed === undefined || out.completed === null) {
      if (json.Notification) out.completed = true;
      else if (command && command.result_completion_id !== undefined) out.completed = completions.get(row.id)?.has(command.result_completion_id) ?? false;
      else if (command && command.completion_id !== undefined && kind !== "Run") out.completed = completions.get(row.id)?.has(command.completion_id) ?? false;
      else if (command) out.completed = true;
    }
    return out;
  });
}
