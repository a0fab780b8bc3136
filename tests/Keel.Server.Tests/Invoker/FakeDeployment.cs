using System.Collections.Concurrent;
using Keel.Protocol.Framing;
using Keel.Protocol.Ids;
using Keel.Protocol.Manifest;
using Keel.Protocol.Messages;
using Keel.Server.Contracts;
using Keel.Server.Tests.Admin;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Keel.Server.Tests.Invoker;

/// <summary>
/// A deployment on h2c that records each attempt's replay (Start and journal) and answers as the test
/// scripts it, so the invoker's side of the stream can be observed without an SDK.
/// </summary>
internal sealed class FakeDeployment : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FakeDeployment(WebApplication app) => _app = app;

    /// <summary>What each attempt replayed, by invocation id (its Start message and the journal frames that followed).</summary>
    public ConcurrentDictionary<string, (StartMessage Start, List<Frame> Journal)> Replays { get; } = new();

    /// <summary>Answers one attempt: gets the replay, writes to the response body. Default: End at once.</summary>
    public Func<StartMessage, Stream, CancellationToken, Task> Respond { get; set; } =
        (_, body, ct) => body.WriteAsync(MessageCodec.Encode(new EndMessage()), ct).AsTask();

    public DeploymentInfo Info { get; private set; } = null!;

    public static async Task<FakeDeployment> StartAsync()
    {
        var app = Apps.Create(HttpProtocols.Http2);
        var deployment = new FakeDeployment(app);
        app.MapPost("/invoke/{service}/{handler}", deployment.HandleAsync);
        await app.StartAsync();
        deployment.Info = new DeploymentInfo("dp_fake", Apps.Address(app), ProtocolMode.BidiStream, DeploymentHttpVersion.Http2PriorKnowledge,
            5, 5, new Dictionary<string, string>(), null, DateTimeOffset.UnixEpoch);
        return deployment;
    }

    private async Task HandleAsync(HttpContext context)
    {
        var (start, journal) = await ReadReplayAsync(context.Request.Body, context.RequestAborted);
        Replays[start.DebugId] = (start, journal);
        context.Response.ContentType = ServiceProtocolVersion.V5.ContentType();
        await context.Response.StartAsync(context.RequestAborted);
        await Respond(start, context.Response.Body, context.RequestAborted);
    }

    /// <summary>Reads frames until Start and its <c>KnownEntries</c> journal entries are in.</summary>
    private static async Task<(StartMessage, List<Frame>)> ReadReplayAsync(Stream body, CancellationToken cancellationToken)
    {
        StartMessage? start = null;
        var journal = new List<Frame>();
        await foreach (var frame in InvokerStream.ReadFramesAsync(body, cancellationToken))
        {
            if (start is null)
            {
                start = StartMessage.Parser.ParseFrom(frame.Payload.Span);
            }
            else
            {
                journal.Add(frame);
            }

            if (journal.Count >= start.KnownEntries)
            {
                return (start, journal);
            }
        }

        throw new InvalidOperationException("The invoker closed the stream before its replay was complete.");
    }

    /// <summary>An attempt of Svc/run against this deployment (protocol V5) whose journal is <paramref name="input"/> alone.</summary>
    public InvokeRequest Request(InvocationId id, JournalEntry input) => new(
        id, 1, "Svc", "run", null, Info, ServiceProtocolVersion.V5, [input], null, 0, 0, TimeSpan.Zero, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
