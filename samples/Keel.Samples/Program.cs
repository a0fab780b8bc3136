using Keel.Samples;
using Keel.Sdk.AspNetCore;

// Serves every sample on PORT (default 9080), h2c; register it with a Restate-compatible server.
await KeelEndpoint.RunAsync(args, k => SampleServices.Register(k));
