// The TypeScript side of the SDK benchmark: the same services as bench/Keel.Bench.Endpoint, prefixed Ts.
// Run from the repository root: PORT=9081 node bench/ts-endpoint.mjs
import { createRequire } from "node:module";

// SDK 1.17.2 needs Promise.withResolvers, which node 20 lacks (see ORACLES.md).
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

restate.serve({ services: [noop, counter, proxy], port: Number(process.env.PORT ?? 9081) });
