// A service that counts its executions, written with the official TypeScript SDK and served (h2c) with request
// identity: IDENTITY_KEYS (comma-separated publickeyv1_… keys) is passed as the endpoint's identityKeys, so only
// requests signed with a matching private key get through. PORT (default 9080).
import { createRequire } from "node:module";

// SDK 1.17.2 needs Promise.withResolvers, which node 20 lacks; a polyfill keeps it working.
Promise.withResolvers ??= () => {
  let resolve, reject;
  const promise = new Promise((a, b) => { resolve = a; reject = b; });
  return { promise, resolve, reject };
};

const require = createRequire(new URL("../package.json", import.meta.url));
const restate = await import(require.resolve("@restatedev/restate-sdk"));

let executions = 0;
const signed = restate.service({
  name: "Signed",
  handlers: {
    greet: async (ctx, name) => {
      executions++;
      return `Hello ${name} (${executions})`;
    },
  },
});

const identityKeys = (process.env.IDENTITY_KEYS ?? "").split(",").map((k) => k.trim()).filter((k) => k.length > 0);
const port = Number(process.env.PORT ?? 9080);
restate.serve({ services: [signed], port, identityKeys });
