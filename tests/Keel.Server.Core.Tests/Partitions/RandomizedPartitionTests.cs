using CsCheck;
using Google.Protobuf;
using Keel.Protocol.Framing;
using Keel.Protocol.Ids;
using Keel.Protocol.Messages;
using Keel.Server.Contracts;
using Keel.Server.Model;
using Keel.Server.Partitions;
using Keel.Server.Storage;

namespace Keel.Server.Core.Tests.Partitions;

/// <summary>
/// Random command sequences against two partitions over one store, with crashes that drop the
/// uncommitted batch and everything held in memory (pending hand-overs, running attempts, timers),
/// followed by recovery. Invariants: no command ever throws (so no write strays out of its
/// partition's range); a crash leaves exactly the last committed state; at most one exclusive
/// invocation holds each object key; exclusive invocations of a key start in the order they were
/// created; and once drained, every invocation ever created has completed exactly once.
/// </summary>
public class RandomizedPartitionTests
{
    [Fact]
    public void Random_command_sequences_with_crashes_keep_the_invariants() =>
        Gen.Int[0, 10_000].Array[5, 80].Sample(steps => new Model().Run(steps), iter: 150);

    private sealed class Model
    {
        private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_800_000_000);
        private static readonly string[] ObjectKeys = ["a", "b", "c"];
        private readonly RuntimeOptions _options = new() { DataDirectory = "unused", Partitions = 2 };
        private readonly PartitionMap _map = new(2);
        private readonly MemoryStore _store = new();
        private readonly StateMachine[] _machines;
        private readonly List<(int Partition, PartitionCommand Command)> _pending = [];
        private readonly Dictionary<InvocationId, int> _running = [];
        private readonly List<byte[]> _timers = [];
        private readonly Dictionary<InvocationId, int> _completions = [];
        private readonly Dictionary<string, List<InvocationId>> _created = [];
        private readonly Dictionary<string, List<InvocationId>> _started = [];
        private bool _crashNext;

        public Model() => _machines = [new(new FakeSchema(), _options, 0), new(new FakeSchema(), _options, 1)];

        public void Run(int[] steps)
        {
            foreach (var step in steps)
            {
                Step(step);
                CheckLocks();
            }

            Drain();
            var records = AllRecords();
            Assert.All(records, r => Assert.Equal(InvocationPhase.Completed, r.Phase));
            Assert.All(records, r => Assert.Equal(1, _completions.GetValueOrDefault(r.Id)));
            Assert.Equal(records.Count, _completions.Count);
            foreach (var (key, started) in _started)
            {
                var order = _created[key];
                var positions = started.Select(id => order.IndexOf(id)).ToList();
                Assert.Equal(positions.Order(), positions);
            }
        }

        private void Step(int choice)
        {
            var pick = choice / 16;
            switch (choice % 16)
            {
                case 0 or 1: Submit(new InvocationRequest("Counter", "add", ObjectKeys[pick % 3], "1"u8.ToArray(), [], null, true)); break;
                case 2: Submit(new InvocationRequest("Greeter", "greet", null, "1"u8.ToArray(), [], null, true)); break;
                case 3 or 4: WithRunning(pick, (id, attempt) => End(id, attempt)); break;
                case 5: WithRunning(pick, (id, attempt) => Finished(id).Batch(Owner(id), new PartitionCommand.Effect(new InvokerEffect.Failed(id, attempt, new AttemptFailure(500, "boom"))))); break;
                case 6: WithRunning(pick, (id, attempt) => Finished(id).Batch(Owner(id), new PartitionCommand.Effect(new InvokerEffect.Suspended(id, attempt, new SuspensionMessageV6 { WaitingSignals = { 17 } }.ToByteArray())))); break;
                case 7: WithRunning(pick, (id, attempt) => Batch(Owner(id), Command(id, attempt, new OneWayCallCommandMessage { ServiceName = "Counter", HandlerName = "add", Key = ObjectKeys[pick % 3], InvocationIdNotificationIdx = 1 }))); break;
                case 8: WithRecord(pick, r => Batch(Owner(r.Id), new PartitionCommand.CompleteAwakeable(new AwakeableId(r.Id, 17), new InvocationResult.Success("1"u8.ToArray()), new object()))); break;
                case 9 or 10: if (_timers.Count > 0) { var key = _timers[pick % _timers.Count]; _timers.Remove(key); Batch(_map.PartitionOf(Keys.PartitionKeyOf(key)), new PartitionCommand.TimerFired(key)); } break;
                case 11 or 12: if (_pending.Count > 0) { var (p, c) = _pending[pick % _pending.Count]; _pending.RemoveAt(pick % _pending.Count); Batch(p, c); } break;
                case 13: WithRecord(pick, r => Batch(Owner(r.Id), new PartitionCommand.Cancel(r.Id, new object()))); break;
                case 14: WithRecord(pick, r => Batch(Owner(r.Id), new PartitionCommand.Kill(r.Id, new object()))); break;
                case 15: _crashNext = true; break;
            }
        }

        private void Submit(InvocationRequest request)
        {
            var kind = new FakeSchema().TryGetHandler(request.Service, request.Handler, out _, out var handler) ? handler.Kind : (Protocol.Manifest.HandlerType?)null;
            var id = InvocationIds.ForRequest(request, kind, _map, _created.Count % 2, Now);
            Batch(_map.PartitionOf(id.PartitionKey), new PartitionCommand.Submit(request, id, new object()));
        }

        /// <summary>The attempt is over on the invoker's side (it ended, failed or suspended).</summary>
        private Model Finished(InvocationId id)
        {
            _running.Remove(id);
            return this;
        }

        private void End(InvocationId id, int attempt) =>
            Finished(id).Batch(Owner(id),
                Command(id, attempt, new OutputCommandMessage { Value = new Value { Content = ByteString.CopyFromUtf8("1") } }),
                new PartitionCommand.Effect(new InvokerEffect.Ended(id, attempt)));

        private static PartitionCommand Command(InvocationId id, int attempt, IMessage message) =>
            new PartitionCommand.Effect(new InvokerEffect.Command(id, attempt, 1, new JournalEntry(MessageCodec.TypeOf(message), message.ToByteArray()), false));

        private int Owner(InvocationId id) => _map.PartitionOf(id.PartitionKey);

        private void WithRunning(int pick, Action<InvocationId, int> act)
        {
            if (_running.Count > 0)
            {
                // The step ends the attempt as the invoker would (a new one shows up as an Invoke action).
                var (id, attempt) = _running.ElementAt(pick % _running.Count);
                act(id, attempt);
            }
        }

        private void WithRecord(int pick, Action<InvocationRecord> act)
        {
            var records = AllRecords();
            if (records.Count > 0)
            {
                act(records[pick % records.Count]);
            }
        }

        /// <summary>Applies commands as one batch of one partition; commits it, or drops it when a crash was scheduled. True when committed.</summary>
        private bool Batch(int partition, params PartitionCommand[] commands)
        {
            var before = _store.Dump();
            var tx = new Transaction(_store);
            var tables = new Tables(tx, _map, partition);
            var existed = before.Where(e => e.Table == Table.Status).Select(e => Convert.ToHexString(e.Key)).ToHashSet();
            var results = commands.Select(c => _machines[partition].Apply(tables, c, Now)).ToList();
            var actions = results.SelectMany(r => r.Actions).ToList();
            if (_crashNext)
            {
                _crashNext = false;
                Assert.Equal(before, _store.Dump());
                Recover();
                return false;
            }

            tx.Commit();
            foreach (var created in results.SelectMany(r => r.Mutations).Where(m => m.Table == Table.Status && m.Value is not null && !existed.Contains(Convert.ToHexString(m.Key))))
            {
                var record = RecordCodec.DecodeInvocation(InvocationId.FromBytes(created.Key), created.Value);
                if (record.Handler == "add")
                {
                    Created("Counter/" + record.Key, record.Id);
                }
            }

            Run(partition, actions);
            return true;
        }

        private void Run(int partition, List<PartitionAction> actions)
        {
            foreach (var action in actions)
            {
                switch (action)
                {
                    case PartitionAction.FollowUp followUp:
                        _pending.Add((partition, followUp.Command));
                        break;
                    case PartitionAction.Invoke invoke:
                        _running[invoke.Request.Id] = invoke.Request.Attempt;
                        if (invoke.Request.Attempt == 1 && invoke.Request.Key is { } key && invoke.Request.Handler == "add")
                        {
                            (_started.TryGetValue("Counter/" + key, out var list) ? list : _started["Counter/" + key] = []).Add(invoke.Request.Id);
                        }

                        break;
                    case PartitionAction.Abort abort when _running.GetValueOrDefault(abort.Id) == abort.Attempt:
                        _running.Remove(abort.Id);
                        break;
                    case PartitionAction.ScheduleTimer timer:
                        _timers.Add(timer.Key);
                        break;
                    case PartitionAction.Route route:
                        _pending.Add((route.Partition, route.Command));
                        break;
                    case PartitionAction.Completed completed:
                        _completions[completed.Id] = _completions.GetValueOrDefault(completed.Id) + 1;
                        _running.Remove(completed.Id);
                        break;
                }
            }
        }

        /// <summary>After a crash: what was only in memory is gone; each partition recovers from the store.</summary>
        private void Recover()
        {
            _pending.Clear();
            _running.Clear();
            _timers.Clear();
            _timers.AddRange(_store.Dump().Where(e => e.Table == Table.Timers).Select(e => e.Key));
            for (var p = 0; p < 2; p++)
            {
                Batch(p, new PartitionCommand.Recover());
            }
        }

        private void Drain()
        {
            for (var i = 0; i < 100_000; i++)
            {
                if (_pending.Count > 0)
                {
                    var (p, c) = _pending[0];
                    _pending.RemoveAt(0);
                    Batch(p, c);
                }
                else if (_running.Count > 0)
                {
                    var (id, attempt) = _running.First();
                    End(id, attempt);
                }
                else if (_timers.Count > 0)
                {
                    var key = _timers[0];
                    _timers.RemoveAt(0);
                    Batch(_map.PartitionOf(Keys.PartitionKeyOf(key)), new PartitionCommand.TimerFired(key));
                }
                else if (AllRecords().FirstOrDefault(r => r.Phase == InvocationPhase.Suspended) is { } suspended)
                {
                    Batch(Owner(suspended.Id), new PartitionCommand.CompleteAwakeable(new AwakeableId(suspended.Id, 17), new InvocationResult.Success("1"u8.ToArray()), new object()));
                }
                else
                {
                    return;
                }
            }

            Assert.Fail("The model did not drain.");
        }

        private void Created(string key, InvocationId id) => (_created.TryGetValue(key, out var list) ? list : _created[key] = []).Add(id);

        private List<InvocationRecord> AllRecords() =>
            _store.Dump().Where(e => e.Table == Table.Status).Select(e => RecordCodec.DecodeInvocation(InvocationId.FromBytes(e.Key), e.Value)).ToList();

        /// <summary>At most one exclusive invocation of a key past its inbox, and it is the lock holder.</summary>
        private void CheckLocks()
        {
            foreach (var group in AllRecords().Where(r => r.IsExclusive && r.Phase is not (InvocationPhase.Completed or InvocationPhase.Inboxed or InvocationPhase.Scheduled)).GroupBy(r => r.Key))
            {
                var holder = Assert.Single(group);
                Assert.Equal(holder.Id, new Tables(new Transaction(_store), _map, _map.PartitionOf(holder.Id.PartitionKey)).LockHolder(holder.Service, holder.Key!));
            }
        }
    }
}
