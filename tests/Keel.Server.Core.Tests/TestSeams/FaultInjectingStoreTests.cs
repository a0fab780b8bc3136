using Keel.Server.Storage;
using Keel.Server.TestSeams;

namespace Keel.Server.Core.Tests.TestSeams;

public sealed class FaultInjectingStoreTests : IDisposable
{
    private static readonly byte[] Key = [1, 2, 3];
    private readonly string _control = Path.Combine(Path.GetTempPath(), $"keel-store-faults-{Guid.NewGuid():N}");
    private readonly MemoryStore _inner = new();

    [Fact]
    public void Without_a_control_file_commits_pass_through()
    {
        using var store = new FaultInjectingStore(_inner, _control);

        store.Commit([new WriteOp(Table.State, Key, [42])]);

        Assert.Equal([42], store.Get(Table.State, Key));
        Assert.Equal(1, _inner.Commits);
    }

    [Fact]
    public void Fail_commits_refuses_every_commit_and_writes_nothing_until_the_file_is_cleared()
    {
        using var store = new FaultInjectingStore(_inner, _control);
        File.WriteAllText(_control, "fail-commits\n");

        var error = Assert.Throws<IOException>(() => store.Commit([new WriteOp(Table.State, Key, [42])]));
        Assert.Contains("injected storage fault", error.Message, StringComparison.Ordinal);
        Assert.Throws<IOException>(() => store.Commit([new WriteOp(Table.State, Key, [43])]));
        Assert.Null(store.Get(Table.State, Key));
        Assert.Equal(0, _inner.Commits);

        File.WriteAllText(_control, "");
        store.Commit([new WriteOp(Table.State, Key, [44])]);
        Assert.Equal([44], store.Get(Table.State, Key));
    }

    [Fact]
    public void Slow_commits_still_write()
    {
        using var store = new FaultInjectingStore(_inner, _control);
        File.WriteAllText(_control, "slow-commits 1ms");

        store.Commit([new WriteOp(Table.State, Key, [7])]);

        Assert.Equal([7], store.Get(Table.State, Key));
    }

    [Theory]
    [InlineData("", false, 0)]
    [InlineData("fail-commits", true, 0)]
    [InlineData("  slow-commits   250ms \n", false, 250)]
    public void The_control_file_says_which_faults(string text, bool fail, int delayMs) =>
        Assert.Equal(new StoreFaults(fail, TimeSpan.FromMilliseconds(delayMs)), StoreFaults.Parse(text));

    [Theory]
    [InlineData("fail")]
    [InlineData("slow-commits 2s")]
    [InlineData("slow-commits")]
    public void A_control_file_with_anything_else_is_refused(string text) =>
        Assert.Throws<FormatException>(() => StoreFaults.Parse(text));

    public void Dispose()
    {
        File.Delete(_control);
        _inner.Dispose();
    }
}
