using Keel.Sdk.AspNetCore;
using KeelService;

// Serves the services over HTTP/2 cleartext on PORT (default 9080). With KEEL_ADMIN_URL set, the
// endpoint registers itself there once it listens. `dotnet run` takes both from
// Properties/launchSettings.json (9080, and a local Keel server's admin API at 127.0.0.1:9070), and
// a launch profile's variables win over the shell's, so override them on the command line:
//   dotnet run -e PORT=9081 -e KEEL_ADMIN_URL=http://127.0.0.1:9071
// or run without the profile, with the shell's environment only:
//   PORT=9081 KEEL_ADMIN_URL=http://127.0.0.1:9070 dotnet run --no-launch-profile
// The built program (dotnet bin/.../KeelService.dll, a container) reads only its environment.
await KeelEndpoint.RunAsync(args, k => k.AddService<Counter>());
