// The TypeScript side of the SDK benchmark: the same services as bench/Keel.Bench.Endpoint, prefixed Ts.
// Run from the repository root: PORT=9081 node bench/ts-endpoint.mjs
// With TALLY_PORT set, GET http://127.0.0.1:$TALLY_PORT/ answers how many distinct invocations of
// TsTally/hit have run so far (the server benchmark's "sends completed" count; retries count once).
import { createRequire } from "node:module";
import { createServer } from "node:http";

// SDK 1.17.2 needs Promise.withResolvers, which node 20 lacks (a polyfill keeps the SDK working there).
Promise.withResolvers ??= () => {
  let resolve, reject;
  const promise = new Promise((a, b) => { resolve = a; reject = b; });
  return { promise, resolve, reject };
};

const require = createRequire(new URL("../tests/oracles/package.json", import.meta.url));
const restate = await import(require.resolve("@restatedev/restate-sdk"));

const noop = restate.service({ name: "TsNoop", handlers: { echo: async (_ctx, input) => input } });
const counter = restate.object({
  name: "TsCounter",
  handlers: {
    add: async (ctx, delta) => {
      const total = ((await ctx.get("total")) ?? 0) + delta;
      ctx.set("total", total);
      return total;
    },
  },
});
const proxy = restate.service({
  name: "TsProxy",
  handlers: { call: async (ctx, input) => ctx.serviceClient(noop).echo(input) },
});

const hits = new Set();
const tally = restate.service({
  name: "TsTally",
  handlers: { hit: async (ctx, _input) => { hits.add(ctx.request().id); return null; } },
});
if (process.env.TALLY_PORT) {
  createServer((_req, res) => res.end(String(hits.size))).listen(Number(process.env.TALLY_PORT), "127.0.0.1");
}

restate.serve({ services: [noop, counter, proxy, tally], port: Number(process.env.PORT ?? 9081) });
