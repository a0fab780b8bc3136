using System.Collections.Concurrent;
using Google.Protobuf;
using Keel.Protocol.Framing;
using Keel.Protocol.Manifest;
using Keel.Protocol.Messages;
using Keel.Server.Tests.Admin;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Keel.Server.Tests.Fuzz;

/// <summary>
/// A deployment on h2c with no SDK behind it: it serves a manifest, and answers an invocation whose input
/// names a fuzz case with that case's bytes on the first attempt (then ends its response), and every other
/// attempt — a retry, or an invocation of no case — with an honest Output and End. So a fuzzed attempt is
/// followed by a plain one, which shows whether the journal the fuzzed one left can still be replayed.
/// </summary>
internal sealed class FuzzDeployment : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, byte[]> _cases = new();

    private FuzzDeployment(WebApplication app, EndpointManifest manifest)
    {
        _app = app;
        Manifest = manifest;
    }

    public EndpointManifest Manifest { get; }

    public Uri Uri => Apps.Address(_app);

    /// <summary>The answer of the attempts that are not fuzzed.</summary>
    public static readonly byte[] HonestAnswer =
    [
        .. MessageCodec.Encode(new OutputCommandMessage { Value = new Value { Content = ByteString.CopyFromUtf8("\"fine\"") } }),
        .. MessageCodec.Encode(new EndMessage()),
    ];

    public static async Task<FuzzDeployment> StartAsync(int maxProtocolVersion, params ServiceManifest[] services)
    {
        var app = Apps.Create(HttpProtocols.Http2);
        var manifest = new EndpointManifest { ProtocolMode = ProtocolMode.BidiStream, MinProtocolVersion = 5, MaxProtocolVersion = maxProtocolVersion, Services = services };
        var deployment = new FuzzDeployment(app, manifest);
        app.MapGet("/discover", async (HttpContext http) =>
        {
            http.Response.ContentType = EndpointManifest.ContentType(3);
            await http.Response.WriteAsync(manifest.ToJson());
        });
        app.MapPost("/invoke/{service}/{handler}", deployment.InvokeAsync);
        await app.StartAsync();
        return deployment;
    }

    /// <summary>Registers a case: the first attempt of an invocation whose input is <c>"<paramref name="name"/>"</c> gets <paramref name="bytes"/>.</summary>
    public void Add(string name, byte[] bytes) => _cases[name] = bytes;

    /// <summary>True once the case's fuzzed attempt was answered.</summary>
    public bool Served(string name) => !_cases.ContainsKey(name);

    private async Task InvokeAsync(HttpContext http)
    {
        var input = await ReadInputAsync(http.Request.Body, http.RequestAborted);
        http.Response.ContentType = http.Request.ContentType;
        await http.Response.StartAsync(http.RequestAborted);
        var answer = input is not null && _cases.TryRemove(input, out var fuzzed) ? fuzzed : HonestAnswer;
        await http.Response.Body.WriteAsync(answer, http.RequestAborted);
        await http.Response.Body.FlushAsync(http.RequestAborted);
    }

    /// <summary>Reads the Start message and the Input command after it; the input as text (the case's name in JSON quotes stripped), or null.</summary>
    private static async Task<string?> ReadInputAsync(Stream body, CancellationToken cancellationToken)
    {
        var frames = 0;
        await foreach (var frame in Invoker.InvokerStream.ReadFramesAsync(body, cancellationToken))
        {
            if (++frames == 2)
            {
                return frame.Type == MessageType.InputCommand
                    ? InputCommandMessage.Parser.ParseFrom(frame.Payload.Span).Value.Content.ToStringUtf8().Trim('"')
                    : null;
            }
        }

        return null;
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();
}
