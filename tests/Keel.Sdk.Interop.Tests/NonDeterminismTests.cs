using System.Net;
using Keel.TestSupport;

namespace Keel.Sdk.Interop.Tests;

/// <summary>
/// restate-server with one attempt then kill (as Restate's own NonDeterminismErrors suite runs it),
/// and the endpoint in request-response mode so every await suspends and every attempt replays.
/// </summary>
public sealed class SuspendingRestateWithoutRetries : RestateWithKeelEndpoint
{
    protected override bool EnableProtocolV7 => false;

    public override bool RequestResponse => true;

    protected override async Task<IServerProcess> StartServerAsync() => await RestateServerProcess.StartAsync(new RestateServerOptions
    {
        Environment = new Dictionary<string, string>
        {
            ["RESTATE_DEFAULT_RETRY_POLICY__MAX_ATTEMPTS"] = "1",
            ["RESTATE_DEFAULT_RETRY_POLICY__ON_MAX_ATTEMPTS"] = "kill",
            ["RESTATE_DEFAULT_RETRY_POLICY__INITIAL_INTERVAL"] = "1ms",
        },
    });
}

public sealed class NonDeterminismTests(SuspendingRestateWithoutRetries setup) : IClassFixture<SuspendingRestateWithoutRetries>
{
    [Theory]
    [InlineData("eitherSleepOrCall")]
    [InlineData("callDifferentMethod")]
    [InlineData("backgroundInvokeWithDifferentTargets")]
    [InlineData("setDifferentKey")]
    public async Task Changed_code_on_replay_is_a_journal_mismatch(string handler)
    {
        var key = handler + Guid.NewGuid().ToString("N");
        Assert.True((await setup.Ingress.CallAsync($"/Counter/{key}/add", 1)).IsSuccess);
        var response = await setup.Ingress.CallAsync($"/NonDeterministic/{key}/{handler}");
        Assert.False(response.IsSuccess, response.Body);
        // restate-server writes its log after it answered: wait for the line rather than read it at once.
        await Eventually.UntilAsync(() => Task.FromResult(ProcessLogs.Tail(setup.Server.LogFile, 4000).Contains("570", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(15), "restate-server to log the journal mismatch (570)");

        // The handler never got past the mismatch, so its final send never happened.
        Assert.Equal(1, (await setup.Ingress.CallAsync($"/Counter/{key}/get")).Json.GetInt32());
    }
}
