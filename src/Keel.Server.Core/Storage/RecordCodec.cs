using Google.Protobuf;
using Keel.Protocol.Ids;
using Keel.Protocol.Manifest;
using Keel.Server.Model;
using Keel.Server.Storage.Records;

namespace Keel.Server.Storage;

/// <summary>Compact protobuf encodings of the stored records (the invocation id is the key, not part of the value).</summary>
public static class RecordCodec
{
    public static byte[] Encode(InvocationRecord r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var s = new InvocationStatus
        {
            Service = r.Service,
            Handler = r.Handler,
            ServiceType = (int)r.ServiceType,
            HandlerKind = r.HandlerKind is { } kind ? (int)kind + 1 : 0,
            Phase = (int)r.Phase,
            Attempt = r.Attempt,
            DeploymentId = r.DeploymentId ?? string.Empty,
            ProtocolVersion = r.ProtocolVersion,
            JournalLength = r.JournalLength,
            CommandCount = r.CommandCount,
            RetryCountSinceLastStoredEntry = r.RetryCountSinceLastStoredEntry,
            FailedAttempts = r.FailedAttempts,
            LastStoredEntryAt = r.LastStoredEntryAt.ToUnixTimeMilliseconds(),
            CallerId = r.CallerId ?? string.Empty,
            RandomSeed = r.RandomSeed,
            CreatedAt = r.CreatedAt.ToUnixTimeMilliseconds(),
            PendingOutput = ToProto(r.PendingOutput),
            Result = ToProto(r.Result),
            InboxSequence = r.InboxSequence,
            ModifiedAt = r.ModifiedAt.ToUnixTimeMilliseconds(),
        };
        if (r.Key is not null)
        {
            s.Key = r.Key;
        }

        if (r.CallerCompletionId is { } completion)
        {
            s.CallerCompletionId = completion;
        }

        if (r.IdempotencyKey is not null)
        {
            s.IdempotencyKey = r.IdempotencyKey;
        }

        if (r.ExecutionTime is { } at)
        {
            s.ExecutionTime = at.ToUnixTimeMilliseconds();
        }

        if (r.RetainUntil is { } until)
        {
            s.RetainUntil = until.ToUnixTimeMilliseconds();
        }

        if (r.NextRetryAt is { } next)
        {
            s.NextRetryAt = next.ToUnixTimeMilliseconds();
        }

        if (r.LastStartAt is { } started)
        {
            s.LastStartAt = started.ToUnixTimeMilliseconds();
        }

        if (r.InboxedAt is { } inboxed)
        {
            s.InboxedAt = inboxed.ToUnixTimeMilliseconds();
        }

        if (r.CompletedAt is { } completed)
        {
            s.CompletedAt = completed.ToUnixTimeMilliseconds();
        }

        if (r.JournalRetainUntil is { } journalUntil)
        {
            s.JournalRetainUntil = journalUntil.ToUnixTimeMilliseconds();
        }

        s.KeptJournalLength = r.KeptJournalLength;
        if (r.Trace is { } trace)
        {
            s.TraceParent = trace.TraceParent;
            s.TraceState = trace.TraceState ?? string.Empty;
        }

        if (r.LastFailure is { } f)
        {
            s.LastFailure = new Failure { Code = f.Code, Message = f.Message, RelatedCommandName = f.RelatedCommandName ?? string.Empty, Attempt = f.Attempt, Stacktrace = f.Stacktrace ?? string.Empty };
            if (f.RelatedCommandIndex is { } index)
            {
                s.LastFailure.RelatedCommandIndex = index;
            }

            if (f.RelatedCommandType is { } type)
            {
                s.LastFailure.RelatedCommandType = type;
            }
        }

        s.AttachedCallers.AddRange(r.AttachedCallers.Select(c => new Caller { Id = c.Id, CompletionId = c.CompletionId, NotificationType = c.NotificationType }));
        s.WaitingCompletions.AddRange(r.WaitingCompletions);
        s.WaitingSignals.AddRange(r.WaitingSignals);
        s.WaitingNamedSignals.AddRange(r.WaitingNamedSignals);
        if (r.Awaiting is not null)
        {
            s.Awaiting = ByteString.CopyFrom(r.Awaiting);
        }

        return s.ToByteArray();
    }

    /// <summary>
    /// The phase of an encoded invocation status, read without decoding the rest (its other fields are
    /// skipped, not parsed): what a scan for the unfinished invocations among many completed ones needs.
    /// </summary>
    public static InvocationPhase PhaseOf(byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        var input = new Google.Protobuf.CodedInputStream(bytes);
        var phase = 0;
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            // proto3 writes a field at most once, but a reader keeps the last value: so does this.
            if (tag == PhaseTag)
            {
                phase = input.ReadInt32();
            }
            else
            {
                input.SkipLastField();
            }
        }

        return (InvocationPhase)phase;
    }

    /// <summary>Field 6 (<c>phase</c>) as a varint: (6 &lt;&lt; 3) | 0.</summary>
    private const uint PhaseTag = (InvocationStatus.PhaseFieldNumber << 3) | 0;

    public static InvocationRecord DecodeInvocation(InvocationId id, ReadOnlySpan<byte> bytes)
    {
        var s = InvocationStatus.Parser.ParseFrom(bytes);
        return new InvocationRecord
        {
            Id = id,
            Service = s.Service,
            Handler = s.Handler,
            Key = s.HasKey ? s.Key : null,
            ServiceType = (ServiceType)s.ServiceType,
            HandlerKind = s.HandlerKind == 0 ? null : (HandlerType)(s.HandlerKind - 1),
            Phase = (InvocationPhase)s.Phase,
            Attempt = s.Attempt,
            DeploymentId = s.DeploymentId.Length == 0 ? null : s.DeploymentId,
            ProtocolVersion = s.ProtocolVersion,
            JournalLength = s.JournalLength,
            CommandCount = s.CommandCount,
            RetryCountSinceLastStoredEntry = s.RetryCountSinceLastStoredEntry,
            FailedAttempts = s.FailedAttempts,
            LastStoredEntryAt = DateTimeOffset.FromUnixTimeMilliseconds(s.LastStoredEntryAt),
            CallerId = s.CallerId.Length == 0 ? null : s.CallerId,
            CallerCompletionId = s.HasCallerCompletionId ? s.CallerCompletionId : null,
            AttachedCallers = s.AttachedCallers.Select(c => new CallerRef(c.Id, c.CompletionId, (ushort)c.NotificationType)).ToList(),
            IdempotencyKey = s.HasIdempotencyKey ? s.IdempotencyKey : null,
            RandomSeed = s.RandomSeed,
            CreatedAt = DateTimeOffset.FromUnixTimeMilliseconds(s.CreatedAt),
            ExecutionTime = s.HasExecutionTime ? DateTimeOffset.FromUnixTimeMilliseconds(s.ExecutionTime) : null,
            PendingOutput = FromProto(s.PendingOutput),
            Result = FromProto(s.Result),
            LastFailure = s.LastFailure is { } f
                ? new FailureInfo(f.Code, f.Message, f.Attempt, f.HasRelatedCommandIndex ? f.RelatedCommandIndex : null,
                    f.RelatedCommandName.Length == 0 ? null : f.RelatedCommandName, f.HasRelatedCommandType ? f.RelatedCommandType : null,
                    f.Stacktrace.Length == 0 ? null : f.Stacktrace)
                : null,
            RetainUntil = s.HasRetainUntil ? DateTimeOffset.FromUnixTimeMilliseconds(s.RetainUntil) : null,
            WaitingCompletions = [.. s.WaitingCompletions],
            WaitingSignals = [.. s.WaitingSignals],
            WaitingNamedSignals = [.. s.WaitingNamedSignals],
            Awaiting = s.Awaiting.IsEmpty ? null : s.Awaiting.ToByteArray(),
            InboxSequence = s.InboxSequence,
            ModifiedAt = DateTimeOffset.FromUnixTimeMilliseconds(s.ModifiedAt),
            NextRetryAt = s.HasNextRetryAt ? DateTimeOffset.FromUnixTimeMilliseconds(s.NextRetryAt) : null,
            LastStartAt = s.HasLastStartAt ? DateTimeOffset.FromUnixTimeMilliseconds(s.LastStartAt) : null,
            InboxedAt = s.HasInboxedAt ? DateTimeOffset.FromUnixTimeMilliseconds(s.InboxedAt) : null,
            CompletedAt = s.HasCompletedAt ? DateTimeOffset.FromUnixTimeMilliseconds(s.CompletedAt) : null,
            JournalRetainUntil = s.HasJournalRetainUntil ? DateTimeOffset.FromUnixTimeMilliseconds(s.JournalRetainUntil) : null,
            KeptJournalLength = s.KeptJournalLength,
            Trace = s.TraceParent.Length == 0 ? null : new Contracts.TraceContext(s.TraceParent, s.TraceState.Length == 0 ? null : s.TraceState),
        };
    }

    public static byte[] EncodePromise(ResultRecord result) => new PromiseValue { Result = ToProto(result) }.ToByteArray();

    public static ResultRecord DecodePromise(ReadOnlySpan<byte> bytes) => FromProto(PromiseValue.Parser.ParseFrom(bytes).Result)!;

    private static Result? ToProto(ResultRecord? r)
    {
        if (r is null)
        {
            return null;
        }

        var result = new Result { Success = r.Success, Value = r.Value is null ? ByteString.Empty : ByteString.CopyFrom(r.Value), Code = r.Code, Message = r.Message ?? string.Empty };
        if (r.Metadata is not null)
        {
            result.Metadata.Add(r.Metadata);
        }

        return result;
    }

    private static ResultRecord? FromProto(Result? r) => r is null
        ? null
        : new ResultRecord(r.Success, r.Success ? r.Value.ToByteArray() : null, (ushort)r.Code, r.Success ? null : r.Message,
            r.Metadata.Count == 0 ? null : new Dictionary<string, string>(r.Metadata));
}
