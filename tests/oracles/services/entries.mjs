// Services that write every kind of journal entry (all commands and notifications of service protocol V5–V7), so
// the journal rows of one server can be recorded and compared with another's (sys_journal.entry_json).
// Written with the official TypeScript SDK. PORT (default 9080). Served as HTTP/1.1 request-response.
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
const { TerminalError } = restate;
const encode = (value) => new TextEncoder().encode(JSON.stringify(value));

// The SDK has no API for GetInvocationOutput; this goes through its command machinery directly (16 is the SDK's
// number of that command kind) and resolves with the output, null while there is none, or rejects with the failure.
const getInvocationOutput = (ctx, id) => ctx.processCompletableEntry(16, () => {}, (vm) => vm.sys_get_invocation_output(id),
  async (value, promise) => {
    if (value === "Empty") promise.resolve(null);
    else if (typeof value === "object" && "Success" in value) promise.resolve(new TextDecoder().decode(value.Success));
    else if (typeof value === "object" && "Failure" in value) promise.reject(new TerminalError(value.Failure.message));
    else return false;
    return true;
  });

// An awakeable id of the older form (prom_1…: invocation id + entry index) from one of the newer form (sign_1…:
// invocation id + signal index): the same bytes after the prefix. Completing it targets an invocation that is over.
const oldAwakeableId = (signalId) => "prom_1" + signalId.slice("sign_1".length);

// Entries/<key>.commands runs through every command kind on its own key's state and on other invocations;
// {"oldAwakeable": false} leaves out completing an awakeable by an id of the older form.
const entries = restate.object({
  name: "Entries",
  handlers: {
    commands: async (ctx, options) => {
      const before = await ctx.get("missing");
      ctx.set("a", { x: 1 });
      const a = await ctx.get("a");
      const keys = await ctx.stateKeys();
      ctx.clear("a");
      ctx.clearAll();
      await ctx.sleep(5, "nap");
      const ran = await ctx.run("step", () => 42);
      try {
        await ctx.run("bad-step", () => { throw new TerminalError("step failed", { errorCode: 409 }); });
      } catch { /* the failure is journaled */ }
      const echoed = await ctx.genericCall({
        service: "Entries", method: "echo", key: "callee", parameter: encode("hi"),
        headers: { "x-test": "1" }, idempotencyKey: "idem-1", name: "the-call" });
      try {
        await ctx.genericCall({ service: "Plain", method: "fail", parameter: encode("no") });
      } catch { /* the failure is journaled */ }
      const sent = await ctx.genericSend({ service: "Plain", method: "echo", parameter: encode("later"), delay: 60000 }).invocationId;
      const sentNow = await ctx.genericSend({ service: "Plain", method: "echo", parameter: encode("now") }).invocationId;
      const attached = await ctx.invocation(sentNow).attach();
      const output = await getInvocationOutput(ctx, sentNow);
      const pending = await getInvocationOutput(ctx, sent);
      ctx.invocation(sent).cancel();
      const first = ctx.awakeable();
      ctx.resolveAwakeable(first.id, "woken");
      const woken = await first.promise;
      const second = ctx.awakeable();
      ctx.rejectAwakeable(second.id, "refused");
      try { await second.promise; } catch { /* the failure is journaled */ }
      if (options?.oldAwakeable !== false) {
        const token = new TextDecoder().decode(await ctx.genericCall({ service: "Plain", method: "token", parameter: encode(null) }));
        ctx.resolveAwakeable(oldAwakeableId(JSON.parse(token)), "old form");
      }
      ctx.invocation(ctx.request().id).signal("go").resolve("ready");
      const signalled = await ctx.signal("go");
      ctx.invocation(ctx.request().id).signal("stop").reject("halt");
      try { await ctx.signal("stop"); } catch { /* the failure is journaled */ }
      return { before, a, keys, ran, echoed: new TextDecoder().decode(echoed), sent, attached, output, pending, woken, signalled };
    },
    echo: async (_ctx, text) => text,
    // Calls to every kind of target (a shared object handler, a workflow's run and shared handlers), and a
    // cancelled sleeper: its journal ends with the cancel signal.
    targets: async (ctx) => {
      const peeked = await ctx.genericCall({ service: "Entries", method: "peek", key: "callee", parameter: encode(null) });
      ctx.genericSend({ service: "EntriesFlow", method: "run", key: ctx.key, parameter: encode(null) });
      await ctx.genericCall({ service: "EntriesFlow", method: "resolve", key: ctx.key, parameter: encode("done") });
      const sleeper = await ctx.genericSend({ service: "Entries", method: "sleep", key: "sleeper", parameter: encode(60000) }).invocationId;
      await ctx.sleep(200);
      ctx.invocation(sleeper).cancel();
      return new TextDecoder().decode(peeked);
    },
    peek: restate.handlers.object.shared(async () => "peeked"),
    sleep: async (ctx, millis) => { await ctx.sleep(millis); return "slept"; },
    // A call within a scope, with a limit key.
    scoped: async (ctx) => new TextDecoder().decode(await ctx.genericCall({
      service: "Plain", method: "echo", parameter: encode("scoped"), scope: "tenant-1", limitKey: "user-7" })),
  },
});

// The same state commands with lazy state: the values come as completions.
const lazy = restate.object({
  name: "LazyEntries",
  handlers: {
    commands: async (ctx) => {
      ctx.set("b", "two");
      const missing = await ctx.get("missing");
      const b = await ctx.get("b");
      const keys = await ctx.stateKeys();
      return { missing, b, keys };
    },
  },
  options: { enableLazyState: true },
});

const plain = restate.service({
  name: "Plain",
  handlers: {
    echo: async (_ctx, text) => text,
    fail: async () => { throw new TerminalError("no thanks", { errorCode: 418, metadata: { reason: "test" } }); },
    // An awakeable id of an invocation that ends without waiting on it.
    token: async (ctx) => ctx.awakeable().id,
  },
});

// EntriesFlow/<key>.run peeks its promise (still empty), waits on it, peeks it again; `resolve` and `reject` complete
// promises (the second of each fails, the promise being completed already).
const flow = restate.workflow({
  name: "EntriesFlow",
  handlers: {
    run: async (ctx) => {
      const empty = await ctx.promise("p").peek();
      const value = await ctx.promise("p").get();
      const peeked = await ctx.promise("p").peek();
      let failure = null;
      try { await ctx.promise("q").get(); } catch (e) { failure = e.message; }
      try { await ctx.promise("q").peek(); } catch (e) { failure += "/" + e.message; }
      return { empty: empty ?? null, value, peeked, failure };
    },
    resolve: async (ctx, value) => {
      await ctx.promise("p").resolve(value);
      try { await ctx.promise("p").resolve(value); } catch { /* already completed */ }
    },
    reject: async (ctx, reason) => { await ctx.promise("q").reject(reason); },
  },
});

const services = [entries, lazy, plain, flow];
const port = Number(process.env.PORT ?? 9080);
const endpoint = services.reduce((e, s) => e.bind(s), restate.endpoint());
http.createServer(endpoint.http1Handler()).listen(port, "127.0.0.1");
