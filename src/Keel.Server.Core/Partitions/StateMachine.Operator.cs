using System.Security.Cryptography;
using Keel.Protocol.Framing;
using Keel.Protocol.Manifest;
using Keel.Protocol.Messages;
using Keel.Server.Contracts;
using Keel.Server.Model;

namespace Keel.Server.Partitions;

/// <summary>What an operator does to one invocation beyond cancel and kill: pause, resume, restart as new, purge its journal, edit state.</summary>
public sealed partial class StateMachine
{
    private static void Reply(ApplyContext c, object token, ControlStatus status, string? message = null, Protocol.Ids.InvocationId? newId = null) =>
        c.Actions.Add(new PartitionAction.Reply(token, new ControlResult(status, newId, message)));

    private static void OnPurgeJournal(ApplyContext c, PartitionCommand.PurgeJournal purge)
    {
        switch (c.Tables.GetInvocation(purge.Id))
        {
            case null:
                Reply(c, purge.Reply, ControlStatus.NotFound);
                break;
            case { Phase: InvocationPhase.Completed } record:
                DropKeptJournal(c, record);
                c.Tables.PutInvocation(record);
                Reply(c, purge.Reply, ControlStatus.Done);
                break;
            default:
                Reply(c, purge.Reply, ControlStatus.NotCompleted);
                break;
        }
    }

    /// <summary>A running attempt is aborted; a backoff or a suspension stops waiting. Notifications still arrive in the journal.</summary>
    private static void OnPause(ApplyContext c, PartitionCommand.Pause pause)
    {
        if (c.Tables.GetInvocation(pause.Id) is not { } record)
        {
            Reply(c, pause.Reply, ControlStatus.NotFound);
            return;
        }

        switch (record.Phase)
        {
            case InvocationPhase.Paused:
                Reply(c, pause.Reply, ControlStatus.AlreadyPaused);
                return;
            case InvocationPhase.Completed:
                Reply(c, pause.Reply, ControlStatus.AlreadyCompleted);
                return;
            case InvocationPhase.Inboxed or InvocationPhase.Scheduled:
                Reply(c, pause.Reply, ControlStatus.NotRunning);
                return;
            case InvocationPhase.Invoked:
                c.Actions.Add(new PartitionAction.Abort(record.Id, record.Attempt));
                break;
        }

        record.Phase = InvocationPhase.Paused;
        record.NextRetryAt = null;
        record.ModifiedAt = c.Now;
        c.Tables.PutInvocation(record);
        Reply(c, pause.Reply, ControlStatus.Appended);
    }

    /// <summary>
    /// A paused, suspended or backing-off invocation gets a new attempt now, with a fresh retry budget;
    /// optionally on another deployment (which must serve the service and the pinned protocol version).
    /// </summary>
    private void OnResume(ApplyContext c, PartitionCommand.Resume resume)
    {
        if (c.Tables.GetInvocation(resume.Id) is not { } record)
        {
            Reply(c, resume.Reply, ControlStatus.NotFound);
            return;
        }

        switch (record.Phase)
        {
            case InvocationPhase.Completed:
                Reply(c, resume.Reply, ControlStatus.AlreadyCompleted);
                return;
            case InvocationPhase.Inboxed or InvocationPhase.Scheduled:
                Reply(c, resume.Reply, ControlStatus.NotStarted);
                return;
        }

        if (DeploymentProblem(c, record, resume.Deployment) is { } problem)
        {
            Reply(c, resume.Reply, ControlStatus.BadDeployment, problem);
            return;
        }

        if (resume.Deployment is ResumeDeployment.Latest or ResumeDeployment.Specific)
        {
            record.DeploymentId = resume.Deployment is ResumeDeployment.Specific specific ? specific.DeploymentId
                : c.Schema.TryGetService(record.Service, out var service) ? service.DeploymentId : record.DeploymentId;
        }

        if (record.Phase != InvocationPhase.Invoked)
        {
            record.FailedAttempts = 0;
            StartAttempt(c, record);
        }

        Reply(c, resume.Reply, ControlStatus.Done);
    }

    private static string? DeploymentProblem(ApplyContext c, InvocationRecord record, ResumeDeployment choice)
    {
        string deploymentId;
        switch (choice)
        {
            case ResumeDeployment.Specific specific:
                deploymentId = specific.DeploymentId;
                break;
            case ResumeDeployment.Latest when c.Schema.TryGetService(record.Service, out var service):
                deploymentId = service.DeploymentId;
                break;
            case ResumeDeployment.Latest:
                return $"Service {record.Service} is not registered any more.";
            default:
                return null;
        }

        if (!c.Schema.TryGetDeployment(deploymentId, out var deployment))
        {
            return $"Deployment {deploymentId} is not registered.";
        }

        if (record.ProtocolVersion != 0 && (record.ProtocolVersion < deployment.MinProtocolVersion || record.ProtocolVersion > deployment.MaxProtocolVersion))
        {
            return $"Deployment {deploymentId} speaks service protocol V{deployment.MinProtocolVersion}–V{deployment.MaxProtocolVersion}; " +
                $"this invocation's journal was written with V{record.ProtocolVersion}.";
        }

        return null;
    }

    /// <summary>Runs the handler again, as a new invocation, with the input and headers of a completed one.</summary>
    private void OnRestartAsNew(ApplyContext c, PartitionCommand.RestartAsNew restart)
    {
        if (c.Tables.GetInvocation(restart.Id) is not { } record)
        {
            Reply(c, restart.Reply, ControlStatus.NotFound);
            return;
        }

        if (record.Phase != InvocationPhase.Completed)
        {
            Reply(c, restart.Reply, record.Phase is InvocationPhase.Inboxed or InvocationPhase.Scheduled ? ControlStatus.NotStarted : ControlStatus.NotCompleted);
            return;
        }

        if (record.HandlerKind == HandlerType.Workflow)
        {
            Reply(c, restart.Reply, ControlStatus.Unsupported, "A workflow's run cannot be restarted as new: a workflow id runs once.");
            return;
        }

        var input = record.KeptJournalLength > 0 ? c.Tables.ReadJournal(record.Id).FirstOrDefault(e => e.Type == MessageType.InputCommand) : null;
        if (input is null)
        {
            Reply(c, restart.Reply, ControlStatus.InputGone, $"The journal of {record.Id} (with its input) is no longer kept; raise the service's journal retention to restart invocations.");
            return;
        }

        if (!c.Schema.TryGetHandler(record.Service, record.Handler, out var service, out var handler))
        {
            Reply(c, restart.Reply, ControlStatus.NotFound, $"Handler {record.Service}/{record.Handler} is not registered any more.");
            return;
        }

        var message = InputCommandMessage.Parser.ParseFrom(input.Payload.Span);
        NewInvocation(c, restart.NewId, service, handler, record.Key, [.. message.Headers.Select(h => KeyValuePair.Create(h.Key, h.Value))],
            message.Value is { } value ? value.Content.Span : [], null, null, null, null, record.Trace);
        Reply(c, restart.Reply, ControlStatus.Done, newId: restart.NewId);
    }

    /// <summary>Replaces an object key's whole state when no invocation holds its lock (and the version, if given, matches).</summary>
    private static void OnReplaceState(ApplyContext c, PartitionCommand.ReplaceState replace)
    {
        if (c.Tables.LockHolder(replace.Service, replace.Key) is { } holder)
        {
            Reply(c, replace.Reply, ControlStatus.Conflict, $"{replace.Service}/{replace.Key} is locked by invocation {holder}; cancel it or try again when it is done.");
            return;
        }

        if (replace.ExpectedVersion is { } expected && StateVersion(c.Tables.AllState(replace.Service, replace.Key)) != expected)
        {
            Reply(c, replace.Reply, ControlStatus.Conflict, $"The state of {replace.Service}/{replace.Key} changed since version {expected} was read.");
            return;
        }

        c.Tables.ClearAllState(replace.Service, replace.Key);
        foreach (var (name, value) in replace.NewState)
        {
            c.Tables.SetState(replace.Service, replace.Key, name, value);
        }

        Reply(c, replace.Reply, ControlStatus.Done);
    }

    /// <summary>
    /// The version of an object's state, as Restate's CLI computes it to edit state safely: SHA-256 over
    /// the entries sorted by key, each as its position (8 bytes, big-endian), 0x01, key, 0x02, value, 0x03;
    /// base64url without padding.
    /// </summary>
    public static string StateVersion(IEnumerable<KeyValuePair<string, byte[]>> state)
    {
        ArgumentNullException.ThrowIfNull(state);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var position = 0UL;
        Span<byte> index = stackalloc byte[8];
        foreach (var (key, value) in state.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(index, position++);
            hash.AppendData(index);
            hash.AppendData([0x01]);
            hash.AppendData(System.Text.Encoding.UTF8.GetBytes(key));
            hash.AppendData([0x02]);
            hash.AppendData(value);
            hash.AppendData([0x03]);
        }

        return Convert.ToBase64String(hash.GetHashAndReset()).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }
}
