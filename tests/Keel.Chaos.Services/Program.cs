using Keel.Chaos.Services;
using Keel.Sdk.AspNetCore;

// PORT (and the other KeelEndpoint variables) choose where it listens; the campaign registers it with the server.
await KeelEndpoint.RunAsync(args, k =>
{
    k.AddService<ChaosSet>();
    k.AddService<ChaosRegister>();
    k.AddService<ChaosEffects>();
    k.AddService<ChaosSender>();
    k.AddService<ChaosInbox>();
    k.AddService<ChaosScheduler>();
    k.AddService<ChaosAlarms>();
    k.AddService<ChaosWorkflow>();
});
