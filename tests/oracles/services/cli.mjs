// Services behind the end-to-end tests of the official `restate` CLI: each one puts invocations in a known state
// (suspended, pending, scheduled, paused, backing-off, completed, deadlocked) so the CLI's listings can be compared
// between two servers. Written with the official TypeScript SDK.
// PORT (default 9080). Served as HTTP/1.1 request-response: an invocation waiting on anything suspends at once, so
// its status does not depend on inactivity timers.
// SERVICES=removable serves only the `Removable` service (a second deployment that tests register and remove).
import http from "node:http";
import { createRequire } from "node:module";

// SDK 1.17.2 needs Promise.withResolvers, which node 20 lacks; a polyfill keeps it working.
Promise.withResolvers ??= () => {
  let resolve, reject;
  const promise = new Promise((a, b) => { resolve = a; reject = b; });
  return { promise, resolve, reject };
};

const require = createRequire(new URL("../package.json", import.meta.url));
const restate = await import(require.resolve("@restatedev/restate-sdk"));
const shared = restate.handlers.object.shared;
const encode = (value) => new TextEncoder().encode(JSON.stringify(value));
const decode = (bytes) => JSON.parse(new TextDecoder().decode(bytes));

// A, B and C: `hop` calls the first object of `route` on the same key with the rest of the route, and returns the
// names it went through. A/k.hop(["B","A"]) deadlocks: A/k waits on B/k, whose call to A/k waits in A/k's queue.
// A/k.hop(["B","C","A"]) is the cycle A→B→C→A.
const hopper = (name) => restate.object({
  name,
  handlers: {
    hop: async (ctx, route) => {
      if (!route || route.length === 0) return [name];
      const [next, ...rest] = route;
      const tail = decode(await ctx.genericCall({ service: next, method: "hop", key: ctx.key, parameter: encode(rest) }));
      return [name, ...tail];
    },
    ping: async () => `${name} pong`,
  },
});

// Sleeper/k.sleep(ms) suspends on a timer while holding k; a call to Sleeper/k.ping then waits in k's queue.
// Napper is the same object for tests that cancel or kill their sleeps, so Sleeper's counts stay put.
const sleeper = (name) => restate.object({
  name,
  handlers: {
    sleep: async (ctx, millis) => { await ctx.sleep(millis); return "slept"; },
    ping: async () => "pong",
  },
});

// A workflow blocked on its durable promise until `approve` resolves it.
const approval = restate.workflow({
  name: "Approval",
  handlers: {
    run: async (ctx, request) => {
      ctx.set("request", request);
      const decision = await ctx.promise("decision").get();
      ctx.set("decision", decision);
      return decision;
    },
    approve: async (ctx, decision) => { await ctx.promise("decision").resolve(decision); },
  },
});

// A second workflow, so the test that patches a workflow's configuration leaves Approval's alone.
const signup = restate.workflow({
  name: "Signup",
  handlers: {
    run: async (ctx, email) => { ctx.set("email", email); return email; },
  },
});

// An object with state: `put` merges the given entries into the key's state.
const profile = restate.object({
  name: "Profile",
  handlers: {
    put: async (ctx, entries) => { for (const [k, v] of Object.entries(entries)) ctx.set(k, v); },
    get: shared(async (ctx, name) => (await ctx.get(name)) ?? null),
  },
});

// Flaky/run(name) throws a retryable error until Fixer/fix(name) was called. Two attempts, then the invocation
// pauses.
const fixed = new Set();
const flaky = restate.service({
  name: "Flaky",
  handlers: {
    run: async (_ctx, name) => {
      if (!fixed.has(name)) throw new Error(`${name} is broken`);
      return `${name} works`;
    },
  },
  options: { retryPolicy: { maxAttempts: 2, initialInterval: 10, onMaxAttempts: "pause" } },
});
const fixer = restate.service({
  name: "Fixer",
  handlers: { fix: async (_ctx, name) => { fixed.add(name); } },
});

// Always fails, and waits an hour before its second attempt: it stays backing-off.
const backoff = restate.service({
  name: "Backoff",
  handlers: { run: async () => { throw new Error("still failing"); } },
  options: { retryPolicy: { initialInterval: { hours: 1 }, maxAttempts: 100, onMaxAttempts: "kill" } },
});

// Completed invocations of Echo keep their journal for a day (restart-as-new and purge need them).
const echo = restate.object({
  name: "Echo",
  handlers: { echo: async (_ctx, text) => text },
  options: { journalRetention: { days: 1 }, idempotencyRetention: { days: 1 } },
});

const removable = restate.service({
  name: "Removable",
  handlers: { hello: async () => "hello" },
});

const services = process.env.SERVICES === "removable"
  ? [removable]
  : [hopper("A"), hopper("B"), hopper("C"), sleeper("Sleeper"), sleeper("Napper"), approval, signup, profile, flaky, fixer, backoff, echo];
const port = Number(process.env.PORT ?? 9080);
const endpoint = services.reduce((e, s) => e.bind(s), restate.endpoint());
http.createServer(endpoint.http1Handler()).listen(port, "127.0.0.1");
