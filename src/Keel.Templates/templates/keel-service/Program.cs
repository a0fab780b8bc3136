using Keel.Sdk.AspNetCore;
using KeelService;

// Serves the services over HTTP/2 cleartext on PORT (default 9080). With KEEL_ADMIN_URL set
// (dotnet run sets it to a local Keel server's admin API, see Properties/launchSettings.json)
// the endpoint registers itself there once it listens.
await KeelEndpoint.RunAsync(args, k => k.AddService<Counter>());
