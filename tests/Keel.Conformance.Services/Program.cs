using Keel.Conformance.Services;
using Keel.Sdk.AspNetCore;

// SERVICES: comma-separated names to bind; unset or "*" = all. An unknown name stops the endpoint.
var selected = ConformanceCatalog.Select(Environment.GetEnvironmentVariable("SERVICES"));
await KeelEndpoint.RunAsync(args, k =>
{
    foreach (var type in selected)
    {
        k.AddService(type);
    }
});
