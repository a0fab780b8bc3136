using System.Diagnostics;
using System.Net;
using Keel.Sdk;
using Keel.Sdk.AspNetCore;
using Keel.Server.Hosting;
using Keel.TestSupport;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Trace;

namespace Keel.Telemetry.Tests;

/// <summary>
/// A Keel server started in-process (temp data dir, free ports), the A/B/C services on an endpoint in
/// this process, and an in-memory exporter for the spans of both. Spans of every test in the process
/// land in one list, so tests pick theirs by trace id.
/// </summary>
public sealed class TracedSystem : IAsyncLifetime
{
    /// <summary>The tests share one system and run one at a time (the restart test replaces its server).</summary>
    public const string Collection = "traced system";

    private readonly LockedCollection<Activity> _spans = new();
    private TracerProvider? _tracing;
    private WebApplication? _endpoint;

    public KeelServerHost Server { get; private set; } = null!;

    public string DataDirectory { get; } = Path.Combine(Path.GetTempPath(), "keel-otel-" + Guid.NewGuid().ToString("N"));

    public ServerSettings Settings { get; private set; } = null!;

    /// <summary>The endpoint's log lines with their scopes.</summary>
    public ScopeCapturingProvider EndpointLogs { get; } = new();

    /// <summary>Where the A/B/C services answer (another server may register them too).</summary>
    public Uri EndpointUrl { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _tracing = OpenTelemetry.Sdk.CreateTracerProviderBuilder()
            .AddSource("Keel.Server", KeelTelemetry.ActivitySourceName)
            .AddInMemoryExporter(_spans)
            .Build();
        Settings = new ServerSettings { DataDirectory = DataDirectory, IngressPort = FreePort.Next(), AdminPort = FreePort.Next() };
        Server = await FullServer.StartAsync(Settings);
        var port = FreePort.Next();
        _endpoint = KeelEndpoint.Build([], IPAddress.Loopback, port, requestResponse: false, k => k
            .AddService<TraceA>()
            .AddService<TraceB>()
            .AddService<TraceC>()
            .AddService<TraceFlaky>());
        _endpoint.Services.GetRequiredService<ILoggerFactory>().AddProvider(EndpointLogs);
        await _endpoint.StartAsync();
        EndpointUrl = new Uri($"http://127.0.0.1:{port}");
        using var admin = new AdminClient(Server.AdminUrl);
        await admin.RegisterDeploymentAsync(EndpointUrl);
    }

    /// <summary>Stops the server and starts it again on the same data directory and ports; returns when the old one had stopped.</summary>
    public async Task<DateTime> RestartServerAsync()
    {
        await Server.DisposeAsync();
        var stoppedAt = DateTime.UtcNow;
        Server = await FullServer.StartAsync(Settings);
        return stoppedAt;
    }

    /// <summary>The exported spans of one trace so far.</summary>
    public IReadOnlyList<Activity> Trace(ActivityTraceId traceId)
    {
        return [.. _spans.Where(s => s.TraceId == traceId)];
    }

    /// <summary>Every exported span so far.</summary>
    public IReadOnlyList<Activity> AllSpans() => [.. _spans];

    /// <summary>Waits until the trace holds a span for each name (spans are exported when they end).</summary>
    public async Task<IReadOnlyList<Activity>> WaitForSpansAsync(ActivityTraceId traceId, params string[] names)
    {
        await Eventually.UntilAsync(
            () => Task.FromResult(names.All(n => Trace(traceId).Any(s => s.DisplayName == n))),
            TimeSpan.FromSeconds(30),
            $"spans {string.Join(", ", names)} in trace {traceId}; have: {string.Join(", ", Trace(traceId).Select(s => s.DisplayName))}");
        return Trace(traceId);
    }

    public async Task DisposeAsync()
    {
        if (_endpoint is not null)
        {
            await _endpoint.StopAsync();
            await _endpoint.DisposeAsync();
        }

        await Server.DisposeAsync();
        _tracing?.Dispose();
        EndpointLogs.Dispose();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp directory is harmless.
        }
    }
}

[CollectionDefinition(TracedSystem.Collection)]
public sealed class TracedSystemCollection : ICollectionFixture<TracedSystem>;
