using Keel.Chaos.History;

namespace Keel.Chaos.Tests.History;

public class OperationsTests
{
    [Fact]
    public void Invocations_pair_with_their_process_completion_and_open_ones_are_indeterminate()
    {
        var history = new OpHistory();
        var write = history.Invoke(0, "write", "r", 1L);
        var read = history.Invoke(1, "read", "r", null);
        history.Nemesis("kill");
        history.Complete(read, OpKind.Ok, 1L);
        history.Complete(write, OpKind.Info, error: "timeout");
        var cas = history.Invoke(2, "cas", "r", new CasArgs(1, 2));
        history.Invoke(3, "write", "r", 5L);
        history.Complete(cas, OpKind.Fail);

        var operations = Operations.Pair(history.Ops);

        Assert.Equal(["write", "read", "cas", "write"], operations.Select(o => o.F));
        Assert.Equal([OpKind.Info, OpKind.Ok, OpKind.Fail, OpKind.Info], operations.Select(o => o.Outcome));
        Assert.Equal(1L, operations[1].Result);
        Assert.Equal(Operation.Never, operations[0].CompleteTime);
        Assert.Equal(Operation.Never, operations[3].CompleteTime);
        Assert.True(operations[1].InvokeTime < operations[1].CompleteTime);
    }

    [Fact]
    public void Entries_are_stamped_in_order_from_a_monotonic_clock()
    {
        var history = new OpHistory();
        for (var i = 0; i < 100; i++)
        {
            history.Complete(history.Invoke(i % 3, "read", null, null), OpKind.Ok, null);
        }

        var ops = history.Ops;
        Assert.Equal(Enumerable.Range(0, 200).Select(i => (long)i), ops.Select(o => o.Index));
        Assert.True(ops.Zip(ops.Skip(1)).All(p => p.First.Time <= p.Second.Time));
    }

    [Fact]
    public void A_process_that_invokes_twice_without_completing_is_a_recorder_bug()
    {
        var history = new OpHistory();
        history.Invoke(0, "read", null, null);
        history.Invoke(0, "read", null, null);

        Assert.Throws<InvalidOperationException>(() => Operations.Pair(history.Ops));
    }

    [Fact]
    public void A_history_dumps_to_json_lines()
    {
        var history = new OpHistory();
        var add = history.Invoke(4, "add", "s", 17L);
        history.Complete(add, OpKind.Info, error: "connection reset");
        history.Nemesis("kill", "server");

        var lines = HistoryJson.ToJsonLines(history.Ops).TrimEnd('\n').Split('\n');

        Assert.Equal(3, lines.Length);
        Assert.Contains("\"process\":4", lines[0], StringComparison.Ordinal);
        Assert.Contains("\"kind\":\"invoke\"", lines[0], StringComparison.Ordinal);
        Assert.Contains("\"value\":17", lines[0], StringComparison.Ordinal);
        Assert.Contains("\"error\":\"connection reset\"", lines[1], StringComparison.Ordinal);
        Assert.Contains("\"f\":\"kill\"", lines[2], StringComparison.Ordinal);
        Assert.Contains("\"process\":-1", lines[2], StringComparison.Ordinal);
    }
}
