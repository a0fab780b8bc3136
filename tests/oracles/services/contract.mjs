// Contract services (the names and shapes of Restate's conformance test services) written with the official
// TypeScript SDK, to test the Keel server against an SDK we did not write.
// PORT (default 9080); MODE=request-response serves HTTP/1.1 request-response instead of h2c streams.
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
const shared = restate.handlers.object.shared;

const counter = restate.object({
  name: "Counter",
  handlers: {
    add: async (ctx, value) => {
      const oldValue = (await ctx.get("counter")) ?? 0;
      ctx.set("counter", oldValue + value);
      return { oldValue, newValue: oldValue + value };
    },
    get: shared(async (ctx) => (await ctx.get("counter")) ?? 0),
  },
});

const listObject = restate.object({
  name: "ListObject",
  handlers: {
    append: async (ctx, value) => ctx.set("list", [...((await ctx.get("list")) ?? []), value]),
    get: async (ctx) => (await ctx.get("list")) ?? [],
  },
});

const bytes = (message) => new Uint8Array(message);
const proxy = restate.service({
  name: "Proxy",
  handlers: {
    call: async (ctx, r) => Array.from(await ctx.genericCall({
      service: r.serviceName, method: r.handlerName, key: r.virtualObjectKey ?? undefined, parameter: bytes(r.message),
      idempotencyKey: r.idempotencyKey ?? undefined })),
    oneWayCall: async (ctx, r) => await ctx.genericSend({
      service: r.serviceName, method: r.handlerName, key: r.virtualObjectKey ?? undefined, parameter: bytes(r.message),
      delay: r.delayMillis ?? undefined, idempotencyKey: r.idempotencyKey ?? undefined }).invocationId,
    manyCalls: async (ctx, requests) => {
      const pending = [];
      for (const { proxyRequest: r, oneWayCall, awaitAtTheEnd } of requests) {
        const target = { service: r.serviceName, method: r.handlerName, key: r.virtualObjectKey ?? undefined, parameter: bytes(r.message) };
        if (oneWayCall) ctx.genericSend(target);
        else {
          const call = ctx.genericCall(target);
          if (awaitAtTheEnd) pending.push(call);
        }
      }
      for (const call of pending) await call;
    },
  },
});

const testUtils = restate.service({
  name: "TestUtilsService",
  handlers: {
    uppercaseEcho: async (_ctx, input) => input.toUpperCase(),
    countExecutedSideEffects: async (ctx, increments) => {
      let count = 0;
      for (let i = 0; i < increments; i++) await ctx.run("count", () => { count++; });
      return count;
    },
    sleep: async (ctx, millis) => { await ctx.sleep(millis); return "slept"; },
  },
});

const attempts = new Map();
const failing = restate.object({
  name: "Failing",
  handlers: {
    terminallyFailingCall: async (_ctx, r) => { throw new TerminalError(r.errorMessage, { metadata: r.metadata }); },
    failingCallWithEventualSuccess: async (ctx) => {
      const attempt = (attempts.get(ctx.key) ?? 0) + 1;
      attempts.set(ctx.key, attempt);
      if (attempt < 4) throw new Error(`Failed at attempt ${attempt}`);
      return attempt;
    },
    // Attempts are counted in process memory: each retry is a new attempt of the handler.
    sideEffectSucceedsAfterGivenAttempts: async (ctx, minimum) =>
      await ctx.run("succeeds-eventually", () => {
        const count = (attempts.get("run/" + ctx.key) ?? 0) + 1;
        attempts.set("run/" + ctx.key, count);
        if (count < minimum) throw new Error(`Failed at attempt ${count}`);
        return count;
      }, { initialRetryInterval: 10, retryIntervalFactor: 1 }),
  },
});

const workflow = restate.workflow({
  name: "BlockAndWaitWorkflow",
  handlers: {
    run: async (ctx, input) => {
      ctx.set("input", input);
      const output = await ctx.promise("durable-promise").get();
      if ((await ctx.promise("durable-promise").peek()) === undefined) throw new TerminalError("Durable promise should be completed");
      return output;
    },
    unblock: async (ctx, output) => { await ctx.promise("durable-promise").resolve(output); },
    getState: async (ctx) => (await ctx.get("input")) ?? null,
  },
});

// Keel helper (not in the contract): an awakeable whose id tests read back and complete through the ingress.
const ingressAwakeable = restate.object({
  name: "IngressAwakeable",
  handlers: {
    await: async (ctx) => {
      const { id, promise } = ctx.awakeable();
      ctx.set("id", id);
      return await promise;
    },
    getId: shared(async (ctx) => (await ctx.get("id")) ?? ""),
  },
});

const services = [counter, listObject, proxy, testUtils, failing, workflow, ingressAwakeable];
const port = Number(process.env.PORT ?? 9080);
if (process.env.MODE === "request-response") {
  const endpoint = services.reduce((e, s) => e.bind(s), restate.endpoint());
  http.createServer(endpoint.http1Handler()).listen(port, "127.0.0.1");
} else {
  restate.serve({ services, port });
}
