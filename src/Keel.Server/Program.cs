using System.Net;
using Keel.Server;
using Keel.Server.Admin;
using Keel.Server.Hosting;
using Keel.Server.Ingress;
using Keel.Server.Invoker;
using Keel.Server.Query;

var startup = System.Diagnostics.Stopwatch.StartNew();
ServerSettings settings;
Keel.Server.Identity.RequestSigner signer;
try
{
    settings = ServerSettings.Load(args, Environment.GetEnvironmentVariable);
    signer = settings.RequestIdentityPrivateKeyPemFile is { } pemFile
        ? Keel.Server.Identity.RequestSigner.FromPemFile(pemFile)
        : Keel.Server.Identity.RequestSigner.Unsigned;
}
catch (Exception e) when (e is ArgumentException or IOException or System.Text.Json.JsonException)
{
    Console.Error.WriteLine($"keel-server: {e.Message}");
    return 2;
}

// Opening the embedded storage (loading the native library, reading its manifest and log) is the
// slowest part of a start: it runs while the web host is being built.
var storeOpening = Task.Run(() => KeelRuntime.OpenStore(settings.DataDirectory));

// The content root is the binary's folder and configuration files are not watched: the server reads
// its settings itself (flags, env, --config), and watching the working directory would make start-up
// walk whatever tree it was started from.
var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
{
    ContentRootPath = AppContext.BaseDirectory,
    Args = ["--hostBuilder:reloadConfigOnChange=false"],
});
builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
var address = IPAddress.Parse(settings.BindAddress);
builder.WebHost.ConfigureKestrel(kestrel =>
{
    kestrel.Listen(address, settings.IngressPort);
    kestrel.Listen(address, settings.AdminPort);
});

var app = builder.Build();
var schema = new SchemaRegistry(settings.DataDirectory);
if (signer.PublicKey is { } publicKey)
{
    app.Logger.LogInformation("Request identity: requests to deployments are signed; configure endpoints with the public key {PublicKey}", publicKey);
}

var invoker = new HttpInvoker(TimeProvider.System, app.Services.GetRequiredService<ILogger<HttpInvoker>>()) { Signer = signer };
var runtime = new KeelRuntime(new RuntimeOptions
{
    DataDirectory = settings.DataDirectory,
    Partitions = settings.Partitions,
    MaxProtocolVersion = settings.EnableProtocolV7 ? 7 : 6,
    CompletionRetention = settings.DefaultRetention,
    DefaultJournalRetention = settings.DefaultJournalRetention,
    Processor = new Keel.Server.Partitions.ProcessorOptions { CleanupInterval = settings.CleanupInterval },
}, schema, invoker, TimeProvider.System, app.Services.GetRequiredService<ILoggerFactory>());
invoker.Sink = runtime;

// Crash-only: a partition whose storage fails stops; the process exits non-zero so a supervisor
// restarts it, and recovery picks up from what was durable.
runtime.Failed += failure =>
{
    app.Logger.LogCritical(failure, "Keel server stopping: a partition failed");
    Environment.ExitCode = 70;
    app.Lifetime.StopApplication();
};
app.UseRuntimeErrorMapping();

IngressEndpoints.Map(app, $"*:{settings.IngressPort}", schema, runtime);
AdminEndpoints.Map(app, settings, schema, new DiscoveryClient() { Signer = signer }, runtime);

// SQL introspection reads a storage snapshot on its own threads, never inside a partition's loop.
using var queries = new QueryEngine(
    runtime.OpenIntrospection,
    () => [.. schema.Services.Select(ServiceRow.From)],
    () => [.. schema.Deployments.Select(d => DeploymentRow.From(d, schema.ServicesOf(d.Id)))]);
QueryEndpoints.Map(app, $"*:{settings.AdminPort}", queries);
Keel.Server.WebConsole.ConsoleEndpoints.Map(app, $"*:{settings.AdminPort}");

try
{
    await runtime.StartAsync(await storeOpening);
}
catch (Exception e) when (e is InvalidOperationException or RocksDbSharp.RocksDbException or IOException or UnauthorizedAccessException)
{
    Console.Error.WriteLine($"keel-server: cannot open the data directory {Path.GetFullPath(settings.DataDirectory)}: {e.Message}");
    return 2;
}

app.Lifetime.ApplicationStopping.Register(() => app.Logger.LogInformation("Keel server stopping"));
await app.StartAsync();
app.Logger.LogInformation("Keel server ready in {Ready:F0} ms (storage opened in {Open:F0} ms): ingress {Address}:{Ingress}, admin {Address}:{Admin}, data {Data}",
    startup.Elapsed.TotalMilliseconds, storeOpening.Result.OpenedIn.TotalMilliseconds,
    settings.BindAddress, settings.IngressPort, settings.BindAddress, settings.AdminPort, Path.GetFullPath(settings.DataDirectory));
await app.WaitForShutdownAsync();
await runtime.StopAsync(CancellationToken.None);
invoker.Dispose();
return Environment.ExitCode;
