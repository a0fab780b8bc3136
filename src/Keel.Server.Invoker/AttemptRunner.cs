using System.Diagnostics;
using System.Net.Http.Headers;
using System.Threading.Channels;
using Google.Protobuf;
using Keel.Protocol.Framing;
using Keel.Protocol.Manifest;
using Keel.Protocol.Messages;
using Keel.Server.Contracts;
using Keel.Server.Telemetry;
using Microsoft.Extensions.Logging;

namespace Keel.Server.Invoker;

/// <summary>
/// One attempt of one invocation: opens the stream, sends Start + journal, forwards pushed frames,
/// decodes what the SDK sends and reports it, in order, as effects. Closes the request body after
/// End, Suspension or Error, and on inactivity (so the SDK suspends).
/// </summary>
internal sealed partial class AttemptRunner(InvokeRequest request, HttpClient client, IInvokerEffectSink sink, TimeProvider time, ILogger logger, Identity.RequestSigner? signer = null)
{
    // Replaced once by ReloadAsync when the attempt waited for a slot without its journal.
    private InvokeRequest request = request;
    private readonly Channel<byte[]> _pushed = Channel.CreateUnbounded<byte[]>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _abort = new();
    private long _lastActivity = time.GetTimestamp();
    private volatile bool _aborted;
    private volatile bool _timedOut;
    private volatile bool _waitingForRoom;

    // Telemetry: the attempt's span (null while no one listens), the handler span the SDK reported
    // (W3C traceresponse), and how the attempt ended (the attempt duration metric's outcome).
    private Activity? _activity;
    private TraceContext? _handlerTrace;
    private string _outcome = "failed";

    public int Attempt => request.Attempt;

    public bool IsAborted => _aborted;

    public void Push(byte[] frame)
    {
        Touch();
        _pushed.Writer.TryWrite(frame);
    }

    /// <summary>Stops the attempt; nothing more is reported for it.</summary>
    public void Abort()
    {
        _aborted = true;
        _pushed.Writer.TryComplete();
        _abort.Cancel();
    }

    /// <summary>
    /// Reads the journal and state this attempt replays (it waited for a slot without them); false when
    /// the attempt is no longer current or its partition stopped here: it ends without a report (the
    /// partition has moved on, or its next owner starts the invocation again).
    /// </summary>
    public async Task<bool> ReloadAsync(Func<CancellationToken, Task<AttemptInputs?>> reload)
    {
        ArgumentNullException.ThrowIfNull(reload);
        AttemptInputs? inputs;
        try
        {
            inputs = await reload(_abort.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or Partitions.PartitionUnavailableException or Partitions.PartitionNotOwnedException)
        {
            return false;
        }

        if (inputs is null)
        {
            return false;
        }

        request = request.WithReplay(inputs);
        return true;
    }

    /// <summary>The attempt failed in an unforeseen way: report it as failed so the partition retries it.</summary>
    public void ReportCrash(Exception error)
    {
        ArgumentNullException.ThrowIfNull(error);
        LogAttemptFailed(logger, request.Id.ToString(), request.Attempt, error.ToString());
        Report(new InvokerEffect.Failed(request.Id, request.Attempt, new AttemptFailure(500, $"The invoker failed: {error.Message}")));
    }

    /// <summary>
    /// Holds the stream while the partition is behind: unread, it fills HTTP/2's flow-control window
    /// and the SDK's writes wait. Waiting here is the server's doing, not the SDK's silence, so it
    /// counts as activity for the inactivity timeout.
    /// </summary>
    private async ValueTask WaitForRoomAsync()
    {
        var room = sink.WaitForRoomAsync(request.Id, _abort.Token);
        if (room.IsCompletedSuccessfully)
        {
            return;
        }

        _waitingForRoom = true;
        try
        {
            await room.ConfigureAwait(false);
        }
        finally
        {
            _waitingForRoom = false;
            Touch();
        }
    }

    private void Touch() => Interlocked.Exchange(ref _lastActivity, time.GetTimestamp());

    private void Report(InvokerEffect effect)
    {
        if (!_aborted)
        {
            sink.Submit(effect);
        }
    }

    public async Task RunAsync()
    {
        var started = Stopwatch.GetTimestamp();
        using var scope = InvocationLogScope.Begin(logger, request.Id.ToString());
        using var activity = _activity = Spans.Start(ServerTelemetry.Source, $"attempt {request.Service}/{request.Handler}", ActivityKind.Client, request.Trace?.ToActivityContext());
        activity?.SetTag("keel.invocation.id", request.Id.ToString());
        activity?.SetTag("keel.invocation.target", request.Key is null ? $"{request.Service}/{request.Handler}" : $"{request.Service}/{request.Key}/{request.Handler}");
        activity?.SetTag("keel.attempt", request.Attempt);
        try
        {
            await RunAttemptAsync().ConfigureAwait(false);
        }
        finally
        {
            if (_aborted)
            {
                _outcome = "aborted";
            }

            activity?.SetTag("keel.outcome", _outcome);
            if (_outcome == "failed")
            {
                activity?.SetStatus(ActivityStatusCode.Error);
            }

            ServerTelemetry.AttemptDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds,
                new KeyValuePair<string, object?>("keel.outcome", _outcome));
        }
    }

    private async Task RunAttemptAsync()
    {
        var streaming = request.Deployment.Mode == ProtocolMode.BidiStream && request.Deployment.HttpVersion == DeploymentHttpVersion.Http2PriorKnowledge;
        var contentType = request.Version.ContentType();
        using var message = new HttpRequestMessage(HttpMethod.Post, InvokeUri())
        {
            Content = new InvocationRequestContent(Replay(), _pushed.Reader, streaming),
            Version = client.DefaultRequestVersion,
            VersionPolicy = client.DefaultVersionPolicy,
        };
        message.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        message.Headers.Accept.ParseAdd(contentType);
        message.Headers.Add("x-restate-invocation-id", request.Id.ToString());
        if (request.Key is not null)
        {
            message.Headers.Add("x-restate-service-key", Uri.EscapeDataString(request.Key));
        }

        // The deployment's handler span continues this attempt's span, else the invocation's stored trace.
        if ((TraceContext.From(_activity) ?? request.Trace) is { } trace)
        {
            message.Headers.TryAddWithoutValidation("traceparent", trace.TraceParent);
            if (trace.TraceState is { } state)
            {
                message.Headers.TryAddWithoutValidation("tracestate", state);
            }
        }

        (signer ?? Identity.RequestSigner.Unsigned).Sign(message.Headers, InvokePath());
        foreach (var (name, value) in request.Deployment.AdditionalHeaders.Where(h => !InvokerHeaders.IsReserved(h.Key)))
        {
            // Reserved ones are refused at registration; a deployment stored before that rule must not add them either.
            message.Headers.TryAddWithoutValidation(name, value);
        }

        // Request-response attempts get no pushes and cannot be asked to suspend: the deployment has
        // the inactivity plus the abort timeout to answer, then the attempt is aborted and retried.
        using var watchdog = streaming ? WatchInactivity() : time.CreateTimer(_ =>
        {
            _timedOut = true;
            _abort.Cancel();
        }, null, request.InactivityTimeout + request.AbortTimeout, Timeout.InfiniteTimeSpan);
        try
        {
            using var response = await client.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, _abort.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode || response.Content.Headers.ContentType?.MediaType != contentType)
            {
                var body = await response.Content.ReadAsStringAsync(_abort.Token).ConfigureAwait(false);
                Report(new InvokerEffect.Failed(request.Id, request.Attempt, new AttemptFailure((uint)response.StatusCode,
                    $"Unexpected response from the deployment: {(int)response.StatusCode} {response.Content.Headers.ContentType}: {Truncate(body)}")));
                return;
            }

            _handlerTrace = response.Headers.TryGetValues("traceresponse", out var handlerSpan) ? TraceContext.Parse(handlerSpan.FirstOrDefault(), null) : null;
            Report(new InvokerEffect.Started(request.Id, request.Attempt, response.Headers.TryGetValues("x-restate-server", out var server) ? server.FirstOrDefault() : null));
            await ReadResponseAsync(await response.Content.ReadAsStreamAsync(_abort.Token).ConfigureAwait(false)).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or IOException or OperationCanceledException or ProtocolException)
        {
            if (!_aborted)
            {
                LogAttemptFailed(logger, request.Id.ToString(), request.Attempt, e.Message);
                Report(new InvokerEffect.Failed(request.Id, request.Attempt, _timedOut
                    ? new AttemptFailure(500, $"The deployment did not answer within the inactivity and abort timeouts ({request.InactivityTimeout + request.AbortTimeout}).")
                    : new AttemptFailure(500, $"Transport failure: {e.Message}")));
            }
        }
        finally
        {
            _pushed.Writer.TryComplete();
        }
    }

    private async Task ReadResponseAsync(Stream body)
    {
        var decoder = new FrameDecoder();
        var commandIndex = (uint)request.Journal.Count(e => e.Type.IsCommand());
        var buffer = new byte[16 * 1024];
        while (true)
        {
            await WaitForRoomAsync().ConfigureAwait(false);
            var read = await body.ReadAsync(buffer, _abort.Token).ConfigureAwait(false);
            if (read == 0)
            {
                Report(new InvokerEffect.Failed(request.Id, request.Attempt, new AttemptFailure(500, "The deployment closed the stream without End, Suspension or Error.")));
                return;
            }

            Touch();
            decoder.Push(buffer.AsSpan(0, read));
            while (decoder.TryRead(out var frame))
            {
                if (Handle(frame, ref commandIndex))
                {
                    // Final message: close our side so the SDK can end its response, then let it finish
                    // (briefly) instead of resetting the stream under it.
                    _pushed.Writer.TryComplete();
                    using var drain = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                    try
                    {
                        while (await body.ReadAsync(buffer, drain.Token).ConfigureAwait(false) > 0)
                        {
                        }
                    }
                    catch (Exception e) when (e is OperationCanceledException or IOException or HttpRequestException)
                    {
                        // Nothing more is expected; the attempt is over either way.
                    }

                    return;
                }
            }
        }
    }

    /// <summary>Reports one frame; true when it ends the attempt.</summary>
    private bool Handle(Frame frame, ref uint commandIndex)
    {
        var type = frame.Type;
        if (!TryDecode(frame, out var message, out var violation))
        {
            // The partition journals commands as they come: one it could not read would fail there, as a
            // server error, at every retry. A frame of no known type, or one that is not its message, ends
            // the attempt here as what it is: the deployment broke the protocol.
            LogAttemptFailed(logger, request.Id.ToString(), request.Attempt, violation);
            Report(new InvokerEffect.Failed(request.Id, request.Attempt, new AttemptFailure(571, violation)));
            return true;
        }

        if (type.IsCommand())
        {
            var payload = frame.Payload.ToArray();
            var trace = type is MessageType.CallCommand or MessageType.OneWayCallCommand ? CallTrace(type, payload) : null;
            Report(new InvokerEffect.Command(request.Id, request.Attempt, commandIndex++, new JournalEntry(type, payload), frame.Header.RequestedAck, trace));
            return false;
        }

        switch (type)
        {
            case MessageType.ProposeRunCompletion:
                Report(new InvokerEffect.RunProposal(request.Id, request.Attempt, frame.Payload.ToArray(), frame.Header.RequestedAck));
                return false;
            case MessageType.AwaitingOn:
                return false;
            case MessageType.Suspension:
                _outcome = "suspended";
                Report(new InvokerEffect.Suspended(request.Id, request.Attempt, frame.Payload.ToArray()));
                return true;
            case MessageType.End:
                _outcome = "ended";
                Report(new InvokerEffect.Ended(request.Id, request.Attempt));
                return true;
            case MessageType.Error:
                var error = (ErrorMessage)message;
                Report(new InvokerEffect.Failed(request.Id, request.Attempt, new AttemptFailure(
                    error.Code, error.Message, error.Stacktrace,
                    error.HasNextRetryDelay ? RetryDelay(error.NextRetryDelay) : null,
                    error.Behavior switch { ErrorBehavior.Pause => FailureBehavior.Pause, ErrorBehavior.Fail => FailureBehavior.Fail, _ => FailureBehavior.Retry },
                    error.HasRelatedCommandIndex ? error.RelatedCommandIndex : null,
                    error.HasRelatedCommandName ? error.RelatedCommandName : null,
                    error.HasRelatedCommandType ? error.RelatedCommandType : null)));
                return true;
            default:
                Report(new InvokerEffect.Failed(request.Id, request.Attempt, new AttemptFailure(571, $"Unexpected message {type} from the deployment.")));
                return true;
        }
    }

    /// <summary>The frame's message; false, with why, when the frame breaks the protocol (an undefined type, a payload that is not its message).</summary>
    private bool TryDecode(Frame frame, out IMessage message, out string violation)
    {
        try
        {
            message = MessageCodec.Decode(frame, request.Version);
            violation = string.Empty;
            return true;
        }
        catch (ProtocolException e)
        {
            message = null!;
            violation = $"Protocol violation by the deployment: {e.Message}";
            return false;
        }
    }

    /// <summary>
    /// The SDK's next retry delay; any u64 is valid on the wire, so one beyond what a clock can add is capped at
    /// a century (the invocation waits as good as forever, and an operator can still resume or kill it).
    /// </summary>
    private static TimeSpan RetryDelay(ulong milliseconds) =>
        TimeSpan.FromMilliseconds(Math.Min(milliseconds, (ulong)MaxRetryDelay.TotalMilliseconds));

    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromDays(36525);

    /// <summary>
    /// The trace a call's or send's target continues: a span for the call under the handler span the
    /// SDK reported (else under this attempt's span), or, while no one listens here, the handler span itself.
    /// </summary>
    private TraceContext? CallTrace(MessageType type, byte[] payload)
    {
        if (_activity is null)
        {
            return _handlerTrace;
        }

        string verb, target;
        ActivityKind kind;
        if (type == MessageType.CallCommand)
        {
            var call = CallCommandMessage.Parser.ParseFrom(payload);
            (verb, target, kind) = ("call", $"{call.ServiceName}/{call.HandlerName}", ActivityKind.Client);
        }
        else
        {
            var send = OneWayCallCommandMessage.Parser.ParseFrom(payload);
            (verb, target, kind) = ("send", $"{send.ServiceName}/{send.HandlerName}", ActivityKind.Producer);
        }

        using var span = ServerTelemetry.Source.StartActivity($"{verb} {target}", kind, _handlerTrace?.ToActivityContext() ?? _activity.Context);
        span?.SetTag("keel.invocation.id", request.Id.ToString());
        span?.SetTag("keel.call.target", target);
        return TraceContext.From(span) ?? _handlerTrace;
    }

    private byte[] Replay()
    {
        var start = new StartMessage
        {
            Id = ByteString.CopyFrom(request.Id.ToBytes()),
            DebugId = request.Id.ToString(),
            KnownEntries = (uint)request.Journal.Count,
            Key = request.Key ?? string.Empty,
            PartialState = request.EagerState is null,
            RetryCountSinceLastStoredEntry = request.RetryCountSinceLastStoredEntry,
            DurationSinceLastStoredEntry = (ulong)Math.Max(0, request.DurationSinceLastStoredEntry.TotalMilliseconds),
            RandomSeed = request.RandomSeed,
        };
        foreach (var (key, value) in request.EagerState ?? [])
        {
            start.StateMap.Add(new StartMessage.Types.StateEntry { Key = ByteString.CopyFrom(key), Value = ByteString.CopyFrom(value) });
        }

        if (request.Version >= ServiceProtocolVersion.V7 && request.IdempotencyKey is not null)
        {
            start.IdempotencyKey = request.IdempotencyKey;
        }

        using var buffer = new MemoryStream();
        buffer.Write(MessageCodec.Encode(start));
        foreach (var entry in request.Journal)
        {
            var header = new byte[FrameHeader.Size];
            new FrameHeader(entry.Type, (uint)entry.Payload.Length).WriteTo(header);
            buffer.Write(header);
            buffer.Write(entry.Payload.Span);
        }

        return buffer.ToArray();
    }

    private Uri InvokeUri()
    {
        var baseUri = request.Deployment.Uri;
        var path = baseUri.AbsolutePath.TrimEnd('/') + InvokePath();
        return new UriBuilder(baseUri) { Path = path }.Uri;
    }

    /// <summary>The invoke path below the deployment's URI, which request identity signs as the audience.</summary>
    private string InvokePath() => $"/invoke/{Uri.EscapeDataString(request.Service)}/{Uri.EscapeDataString(request.Handler)}";

    /// <summary>Closes the request body after a quiet period, so a waiting SDK suspends; aborts after a longer one.</summary>
    private ITimer WatchInactivity()
    {
        var closedAt = (long?)null;
        return time.CreateTimer(_ =>
        {
            if (_waitingForRoom)
            {
                Touch();
            }

            var quiet = time.GetElapsedTime(Interlocked.Read(ref _lastActivity));
            if (closedAt is null && quiet >= request.InactivityTimeout)
            {
                closedAt = time.GetTimestamp();
                _pushed.Writer.TryComplete();
            }
            else if (closedAt is { } since && time.GetElapsedTime(since) >= request.AbortTimeout && quiet >= request.AbortTimeout)
            {
                _timedOut = true;
                _abort.Cancel();
            }
        }, null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
    }

    private static string Truncate(string s) => s.Length > 200 ? s[..200] + "…" : s;

    [LoggerMessage(Level = LogLevel.Information, Message = "Attempt {Attempt} of {InvocationId} failed: {Reason}")]
    private static partial void LogAttemptFailed(ILogger logger, string invocationId, int attempt, string reason);
}
