using System.Buffers.Binary;
using Keel.Protocol.Ids;
using Keel.Protocol.Manifest;
using Keel.Server.Contracts;
using Keel.Server.Model;
using Keel.Server.Storage;

namespace Keel.Server.Introspection;

/// <summary>
/// The introspection tables read from one storage snapshot (all partitions at the same moment), on
/// the caller's thread: nothing here goes through a partition's loop, so queries never hold up
/// invocations. Each table is a full scan of its storage table, decoded lazily row by row, except that
/// the invocation and journal tables can be read for given invocation ids by key (a query naming one
/// invocation then reads only its rows), invocations of some statuses without building the others'
/// rows, and state, inboxes and promises for given objects by key prefix.
/// </summary>
public sealed class StoreIntrospection(IStoreSnapshot snapshot, ISchemaView schema) : IIntrospectionSnapshot
{
    private static readonly byte[] Start = [];

    public IEnumerable<InvocationRow> Invocations()
    {
        foreach (var (key, value) in snapshot.Scan(Table.Status, Start, null))
        {
            var id = InvocationId.FromBytes(key);
            yield return RowOf(RecordCodec.DecodeInvocation(id, value));
        }
    }

    public IEnumerable<InvocationRow> Invocations(IReadOnlyCollection<string> ids)
    {
        foreach (var id in InKeyOrder(ids))
        {
            if (snapshot.Get(Table.Status, Keys.Invocation(id)) is { } value)
            {
                yield return RowOf(RecordCodec.DecodeInvocation(id, value));
            }
        }
    }

    public IEnumerable<InvocationRow> InvocationsWithStatus(Func<string, bool> status)
    {
        ArgumentNullException.ThrowIfNull(status);
        foreach (var (key, value) in snapshot.Scan(Table.Status, Start, null))
        {
            // Only the phase is decoded to decide: a full decode (and the caller lookup a row needs)
            // is what a scan over a million completed invocations would spend its time on.
            if (status(StatusName(RecordCodec.PhaseOf(value))))
            {
                yield return RowOf(RecordCodec.DecodeInvocation(InvocationId.FromBytes(key), value));
            }
        }
    }

    /// <summary>
    /// The ids <paramref name="ids"/> name, parsed, without repeats, sorted as their keys are (the
    /// binary form is big-endian, so that is the order of the partition key, then the uuid), so a
    /// lookup yields rows in the order a scan would.
    /// </summary>
    private static IEnumerable<InvocationId> InKeyOrder(IReadOnlyCollection<string> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var parsed = new SortedSet<InvocationId>(Comparer<InvocationId>.Create(
            static (a, b) => a.PartitionKey != b.PartitionKey ? a.PartitionKey.CompareTo(b.PartitionKey) : a.Uuid.CompareTo(b.Uuid)));
        foreach (var text in ids)
        {
            if (InvocationId.TryParse(text, out var id))
            {
                parsed.Add(id);
            }
        }

        return parsed;
    }

    private InvocationRow RowOf(InvocationRecord r)
    {
        var deployment = r.DeploymentId is { } pinned && schema.TryGetDeployment(pinned, out var d) ? d : null;
        var caller = r.CallerId is { } callerId && InvocationId.TryParse(callerId, out var callerInvocation)
            && snapshot.Get(Table.Status, Keys.Invocation(callerInvocation)) is { } callerBytes
            ? RecordCodec.DecodeInvocation(callerInvocation, callerBytes)
            : null;
        var completed = r.Phase == InvocationPhase.Completed;

        // As Restate reports them: the last attempt's deployment and SDK only while an attempt runs or
        // backs off; the pinned deployment once the SDK journaled something on it (before that a retry
        // may still move to a newer deployment).
        var attempting = r.Phase is InvocationPhase.Invoked or InvocationPhase.BackingOff;
        var pinnedTo = completed || r.CommandCount > 1 ? r.DeploymentId : null;
        return new InvocationRow
        {
            Id = r.Id.ToString(),
            PartitionKey = r.Id.PartitionKey,
            Target = TargetOf(r.Service, r.Key, r.Handler),
            TargetServiceName = r.Service,
            TargetServiceKey = r.Key,
            TargetHandlerName = r.Handler,
            TargetServiceTy = ServiceTypeName(r.ServiceType),
            IdempotencyKey = r.IdempotencyKey,
            InvokedBy = r.CallerId is null ? "ingress" : "service",
            InvokedById = r.CallerId,
            InvokedByServiceName = caller?.Service,
            InvokedByTarget = caller is null ? null : TargetOf(caller.Service, caller.Key, caller.Handler),
            Status = StatusName(r.Phase),
            InFlight = r.Phase == InvocationPhase.Invoked,
            RetryCount = (ulong)Math.Max(r.FailedAttempts, (int)r.RetryCountSinceLastStoredEntry),
            PinnedDeploymentId = pinnedTo,
            PinnedServiceProtocolVersion = pinnedTo is not null && r.ProtocolVersion > 0 ? (uint)r.ProtocolVersion : null,
            LastAttemptDeploymentId = attempting && r.Attempt > 0 ? r.DeploymentId : null,
            LastAttemptServer = attempting && r.Attempt > 0 ? deployment?.SdkVersion : null,
            LastStartAt = r.LastStartAt?.UtcDateTime,
            NextRetryAt = r.Phase == InvocationPhase.BackingOff ? r.NextRetryAt?.UtcDateTime : null,
            LastFailure = completed ? null : r.LastFailure?.Describe(),
            LastFailureErrorCode = completed ? null : r.LastFailure?.Code,
            LastFailureRelatedEntryIndex = completed ? null : r.LastFailure?.RelatedCommandIndex,
            LastFailureRelatedEntryName = completed ? null : r.LastFailure?.RelatedCommandName,
            LastFailureRelatedEntryType = completed || r.LastFailure?.RelatedCommandType is not { } type
                ? null
                : JournalRows.EntryTypeName((Protocol.Framing.MessageType)type),
            CompletionResult = r.Result is { } result ? result.Success ? "success" : "failure" : null,
            CompletionFailure = r.Result is { Success: false } failure ? $"[{failure.Code}] {failure.Message}" : null,
            CreatedAt = r.CreatedAt.UtcDateTime,
            ModifiedAt = r.ModifiedAt.UtcDateTime,
            InboxedAt = r.InboxedAt?.UtcDateTime,
            ScheduledAt = r.ExecutionTime is null ? null : r.CreatedAt.UtcDateTime,
            ScheduledStartAt = r.ExecutionTime?.UtcDateTime,
            RunningAt = r.LastStartAt?.UtcDateTime,
            CompletedAt = r.CompletedAt?.UtcDateTime,
            JournalSize = completed ? r.KeptJournalLength : r.JournalLength,
            JournalCommandsSize = r.CommandCount,
            CompletionRetentionMs = completed && r.RetainUntil is { } until && r.CompletedAt is { } at ? (ulong)Math.Max(0, (until - at).TotalMilliseconds) : null,
            JournalRetentionMs = completed && r.JournalRetainUntil is { } journalUntil && r.CompletedAt is { } end ? (ulong)Math.Max(0, (journalUntil - end).TotalMilliseconds) : null,
        };
    }

    public IEnumerable<JournalRow> Journal() => JournalOf(snapshot.Scan(Table.Journal, Start, null));

    public IEnumerable<JournalRow> Journal(IReadOnlyCollection<string> ids) =>
        InKeyOrder(ids).SelectMany(id =>
        {
            var prefix = Keys.JournalPrefix(id);
            return JournalOf(snapshot.Scan(Table.Journal, prefix, KeyRange.PrefixEnd(prefix)));
        });

    /// <summary>Journal rows from journal entries in key order (one invocation's entries are adjacent).</summary>
    private IEnumerable<JournalRow> JournalOf(IEnumerable<KeyValuePair<byte[], byte[]>> stored)
    {
        InvocationId? current = null;
        var entries = new List<(uint, byte[])>();
        foreach (var (key, value) in stored)
        {
            var id = InvocationId.FromBytes(key.AsSpan(0, InvocationId.ByteLength));
            if (current is { } previous && previous != id)
            {
                foreach (var row in JournalRows.Of(previous, entries, schema))
                {
                    yield return row;
                }

                entries.Clear();
            }

            current = id;
            entries.Add((BinaryPrimitives.ReadUInt32BigEndian(key.AsSpan(InvocationId.ByteLength)), value));
        }

        if (current is { } last)
        {
            foreach (var row in JournalRows.Of(last, entries, schema))
            {
                yield return row;
            }
        }
    }

    public IEnumerable<StateRow> State() => StateOf(snapshot.Scan(Table.State, Start, null));

    public IEnumerable<StateRow> State(IReadOnlyCollection<(string Service, string Key)> objects) => StateOf(ScanObjects(Table.State, objects));

    /// <summary>
    /// The entries of <paramref name="table"/> under the given objects' key prefixes: the prefixes sorted as keys
    /// are (no object's prefix is a prefix of another's), so entries come in the order a full scan gives them.
    /// </summary>
    private IEnumerable<KeyValuePair<byte[], byte[]>> ScanObjects(Table table, IReadOnlyCollection<(string Service, string Key)> objects)
    {
        ArgumentNullException.ThrowIfNull(objects);
        var prefixes = objects.Select(o => Keys.Object(o.Service, o.Key)).ToList();
        prefixes.Sort(static (a, b) => a.AsSpan().SequenceCompareTo(b));
        byte[]? previous = null;
        foreach (var prefix in prefixes)
        {
            if (previous is not null && previous.AsSpan().SequenceEqual(prefix))
            {
                continue;
            }

            previous = prefix;
            foreach (var entry in snapshot.Scan(table, prefix, KeyRange.PrefixEnd(prefix)))
            {
                yield return entry;
            }
        }
    }

    private static IEnumerable<StateRow> StateOf(IEnumerable<KeyValuePair<byte[], byte[]>> stored)
    {
        foreach (var (key, value) in stored)
        {
            var (parts, end) = Keys.ReadTexts(key, 2);
            yield return new StateRow(Keys.PartitionKeyOf(key), parts[0], parts[1], System.Text.Encoding.UTF8.GetString(key.AsSpan(end)), value);
        }
    }

    public IEnumerable<InboxRow> Inbox() => InboxOf(snapshot.Scan(Table.Inbox, Start, null));

    public IEnumerable<InboxRow> Inbox(IReadOnlyCollection<(string Service, string Key)> objects) => InboxOf(ScanObjects(Table.Inbox, objects));

    private IEnumerable<InboxRow> InboxOf(IEnumerable<KeyValuePair<byte[], byte[]>> stored)
    {
        foreach (var (key, value) in stored)
        {
            var (parts, end) = Keys.ReadTexts(key, 2);
            var id = InvocationId.FromBytes(value);
            var created = snapshot.Get(Table.Status, Keys.Invocation(id)) is { } bytes ? RecordCodec.DecodeInvocation(id, bytes).CreatedAt : DateTimeOffset.UnixEpoch;
            yield return new InboxRow(Keys.PartitionKeyOf(key), parts[0], parts[1], id.ToString(), BinaryPrimitives.ReadUInt64BigEndian(key.AsSpan(end)), created.UtcDateTime);
        }
    }

    public IEnumerable<PromiseRow> Promises() => PromisesOf(snapshot.Scan(Table.Promises, Start, null));

    public IEnumerable<PromiseRow> Promises(IReadOnlyCollection<(string Service, string Key)> objects) => PromisesOf(ScanObjects(Table.Promises, objects));

    private static IEnumerable<PromiseRow> PromisesOf(IEnumerable<KeyValuePair<byte[], byte[]>> stored)
    {
        foreach (var (key, value) in stored)
        {
            var (parts, end) = Keys.ReadTexts(key, 3);
            if (end != key.Length)
            {
                continue; // a listener waiting on the promise, not the promise itself
            }

            var result = RecordCodec.DecodePromise(value);
            yield return new PromiseRow(Keys.PartitionKeyOf(key), parts[0], parts[1], parts[2], true,
                result.Success ? result.Value ?? [] : null, result.Success ? null : result.Code, result.Success ? null : result.Message);
        }
    }

    public IEnumerable<IdempotencyRow> Idempotency()
    {
        foreach (var (key, value) in snapshot.Scan(Table.Idempotency, Start, null))
        {
            var (parts, _) = Keys.ReadTexts(key, 3);
            if (parts[2] == Keys.WorkflowRunMarker)
            {
                continue; // a workflow's run, deduplicated by its workflow id rather than a key
            }

            var (withKey, _) = Keys.ReadTexts(key, 4);
            yield return new IdempotencyRow(Keys.PartitionKeyOf(key), withKey[0], withKey[1].Length == 0 ? null : withKey[1], withKey[2], withKey[3],
                InvocationId.FromBytes(value).ToString());
        }
    }

    public void Dispose() => snapshot.Dispose();

    public static string TargetOf(string service, string? key, string handler) => key is null ? $"{service}/{handler}" : $"{service}/{key}/{handler}";

    public static string ServiceTypeName(ServiceType type) => type switch
    {
        ServiceType.VirtualObject => "virtual_object",
        ServiceType.Workflow => "workflow",
        _ => "service",
    };

    /// <summary>The stored status vocabulary: a backing-off invocation is <c>invoked</c> with no attempt in flight.</summary>
    public static string StatusName(InvocationPhase phase) => phase switch
    {
        InvocationPhase.Scheduled => "scheduled",
        InvocationPhase.Inboxed => "inboxed",
        InvocationPhase.Suspended => "suspended",
        InvocationPhase.Paused => "paused",
        InvocationPhase.Completed => "completed",
        _ => "invoked",
    };
}
