using System.Diagnostics;
using System.Net;
using Keel.TestSupport;

namespace Keel.Sdk.Interop.Tests;

/// <summary>Workflows, timers, awakeables, errors, retries, cancellation, kill, idempotency.</summary>
public abstract partial class InteropScenarios<TSetup>
{
    [Fact]
    public async Task Workflow_runs_once_per_id_and_its_promise_unblocks_it()
    {
        var id = NewKey();
        var sent = await Ingress.SendAsync($"/BlockAndWaitWorkflow/{id}/run", "Francesco");
        Assert.Equal(HttpStatusCode.Accepted, sent.Status);
        Assert.Equal("Accepted", sent.Json.GetProperty("status").GetString());
        await Eventually.UntilAsync(async () => !string.IsNullOrEmpty((await Ingress.CallAsync($"/BlockAndWaitWorkflow/{id}/getState")).Json.GetString()),
            Patience, "the workflow to store its input");
        Assert.Equal(HttpStatusCode.OK, (await Ingress.CallAsync($"/BlockAndWaitWorkflow/{id}/unblock", "Till")).Status);

        var attached = await Ingress.GetAsync($"/restate/workflow/BlockAndWaitWorkflow/{id}/attach");
        Assert.Equal("Till", attached.Json.GetString());
        Assert.Equal("Till", (await Ingress.GetAsync($"/restate/workflow/BlockAndWaitWorkflow/{id}/output")).Json.GetString());

        var again = await Ingress.SendAsync($"/BlockAndWaitWorkflow/{id}/run", "Francesco");
        Assert.Equal("PreviouslyAccepted", again.Json.GetProperty("status").GetString());
        Assert.Equal(sent.InvocationId, again.InvocationId);
        Assert.Equal(HttpStatusCode.Conflict, (await Ingress.CallAsync($"/BlockAndWaitWorkflow/{id}/run", "Francesco")).Status);
    }

    [Fact]
    public async Task Sleep_waits_at_least_its_duration()
    {
        var clock = Stopwatch.StartNew();
        var response = await Ingress.CallAsync($"/VirtualObjectCommandInterpreter/{NewKey()}/interpretCommands",
            new { commands = new object[] { new { type = "awaitOne", command = new { type = "sleep", timeoutMillis = 300 } } } });
        Assert.Equal("sleep", response.Json.GetString());
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(300));
    }

    [Fact]
    public async Task Awakeable_resolved_from_the_ingress()
    {
        var key = NewKey();
        var sent = await Ingress.SendAsync($"/IngressAwakeable/{key}/await");
        string id = string.Empty;
        await Eventually.UntilAsync(async () => (id = (await Ingress.CallAsync($"/IngressAwakeable/{key}/getId")).Json.GetString()!).Length > 0,
            Patience, "the awakeable id to be stored");
        Assert.StartsWith("sign_1", id, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Accepted, (await Ingress.ResolveAwakeableAsync(id, "hello")).Status);
        Assert.Equal("hello", (await Ingress.GetAsync($"/restate/invocation/{sent.InvocationId}/attach")).Json.GetString());
    }

    [Fact]
    public async Task Awakeable_rejected_from_the_ingress_fails_the_handler()
    {
        var key = NewKey();
        var sent = await Ingress.SendAsync($"/IngressAwakeable/{key}/await");
        string id = string.Empty;
        await Eventually.UntilAsync(async () => (id = (await Ingress.CallAsync($"/IngressAwakeable/{key}/getId")).Json.GetString()!).Length > 0,
            Patience, "the awakeable id to be stored");
        await Ingress.RejectAwakeableAsync(id, "boom");
        var attached = await Ingress.GetAsync($"/restate/invocation/{sent.InvocationId}/attach");
        Assert.Equal(HttpStatusCode.InternalServerError, attached.Status);
        Assert.Contains("boom", attached.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Terminal_error_carries_code_message_and_metadata()
    {
        var response = await Ingress.CallAsync($"/Failing/{NewKey()}/terminallyFailingCall",
            new { errorMessage = "my error", metadata = new Dictionary<string, string> { ["key1"] = "value1", ["key2"] = "value2" } });
        Assert.Equal(HttpStatusCode.InternalServerError, response.Status);
        Assert.Equal("my error", response.Json.GetProperty("message").GetString());
        Assert.Equal("value2", response.Json.GetProperty("metadata").GetProperty("key2").GetString());
    }

    [Fact]
    public async Task Terminal_error_propagates_through_a_nested_call()
    {
        var response = await Ingress.CallAsync($"/Failing/{NewKey()}/callTerminallyFailingCall", new { errorMessage = "nested failure" });
        Assert.Equal(HttpStatusCode.InternalServerError, response.Status);
        Assert.Contains("nested failure", response.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task State_written_before_a_terminal_error_is_kept()
    {
        var key = NewKey();
        var response = await Ingress.CallAsync($"/Counter/{key}/addThenFail", 1);
        Assert.Contains(key, response.Body, StringComparison.Ordinal);
        Assert.Equal(1, (await Ingress.CallAsync($"/Counter/{key}/get")).Json.GetInt32());
    }

    [Fact]
    public async Task Retryable_error_is_retried_until_success()
    {
        var response = await Ingress.CallAsync($"/Failing/{NewKey()}/failingCallWithEventualSuccess");
        Assert.Equal(4, response.Json.GetInt32());
    }

    [Fact]
    public async Task Run_is_retried_until_it_succeeds()
    {
        var response = await Ingress.CallAsync($"/Failing/{NewKey()}/sideEffectSucceedsAfterGivenAttempts", 3);
        Assert.True(response.Json.GetInt32() >= 3, response.Body);
    }

    [Fact]
    public async Task Run_that_exhausts_its_attempts_becomes_a_terminal_error()
    {
        var response = await Ingress.CallAsync($"/Failing/{NewKey()}/sideEffectFailsAfterGivenAttempts", 3);
        Assert.Equal(HttpStatusCode.OK, response.Status);
        Assert.True(response.Json.GetInt32() >= 3, response.Body);
    }

    [Fact]
    public async Task Terminal_error_inside_run_is_propagated()
    {
        var response = await Ingress.CallAsync($"/Failing/{NewKey()}/terminallyFailingSideEffect", new { errorMessage = "failed side effect" });
        Assert.Equal(HttpStatusCode.InternalServerError, response.Status);
        Assert.Contains("failed side effect", response.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Idempotency_key_on_an_ingress_call_runs_it_once()
    {
        var key = NewKey();
        var idempotencyKey = NewKey();
        var first = await Ingress.CallAsync($"/Counter/{key}/add", 1, idempotencyKey);
        var second = await Ingress.CallAsync($"/Counter/{key}/add", 1, idempotencyKey);
        Assert.Equal(first.Body, second.Body);
        Assert.Equal(1, (await Ingress.CallAsync($"/Counter/{key}/get")).Json.GetInt32());
    }

    [Fact]
    public async Task Idempotency_key_on_a_call_from_a_handler_runs_it_once()
    {
        var key = NewKey();
        var idempotencyKey = NewKey();
        for (var i = 0; i < 2; i++)
        {
            var response = await Ingress.CallAsync("/Proxy/call", ProxyRequest("Counter", key, "add", "1", idempotencyKey: idempotencyKey));
            Assert.Equal("{\"oldValue\":0,\"newValue\":1}", Utf8(response.Json));
        }

        Assert.Equal(1, (await Ingress.CallAsync($"/Counter/{key}/get")).Json.GetInt32());
        var output = await Ingress.GetAsync($"/restate/invocation/Counter/{key}/add/{idempotencyKey}/output");
        Assert.Equal(1, output.Json.GetProperty("newValue").GetInt32());
    }

    [Theory]
    [InlineData("CALL")]
    [InlineData("SLEEP")]
    [InlineData("AWAKEABLE")]
    public async Task Cancelling_a_blocked_call_tree_gives_the_handler_409(string operation)
    {
        var key = NewKey();
        var runner = await Ingress.SendAsync($"/CancelTestRunner/{key}/startTest", operation);
        await Eventually.UntilAsync(async () => (await Ingress.CallAsync($"/AwakeableHolder/{key}/hasAwakeable")).Json.GetBoolean(), Patience, "the blocking service to hold its awakeable");
        Assert.True((await Ingress.CallAsync($"/AwakeableHolder/{key}/unlock", "cancel")).IsSuccess);

        await Eventually.UntilAsync(async () =>
        {
            await Setup.Admin.PatchInvocationAsync(runner.InvocationId!, "cancel");
            return (await Ingress.CallAsync($"/CancelTestRunner/{key}/verifyTest")).Json.GetBoolean();
        }, Patience, "the runner to see the cancellation");

        // The blocking object's lock is released: an exclusive handler on the same key runs.
        Assert.True((await Ingress.CallAsync($"/CancelTestBlockingService/{key}/isUnlocked")).IsSuccess);
    }

    [Fact]
    public async Task Killing_a_deadlocked_call_tree_releases_the_objects()
    {
        var key = NewKey();
        var runner = await Ingress.SendAsync($"/KillTestRunner/{key}/startCallTree");
        await Eventually.UntilAsync(async () => (await Ingress.CallAsync($"/AwakeableHolder/{key}/hasAwakeable")).Json.GetBoolean(), Patience, "the singleton to hold its awakeable");
        Assert.True((await Ingress.CallAsync($"/AwakeableHolder/{key}/unlock", "kill")).IsSuccess);
        var status = await Setup.Admin.PatchInvocationAsync(runner.InvocationId!, "kill");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True((await Ingress.CallAsync($"/KillTestSingleton/{key}/isUnlocked")).IsSuccess);
        Assert.Equal(HttpStatusCode.Conflict, (await Ingress.GetAsync($"/restate/invocation/{runner.InvocationId}/attach")).Status);
    }

    [Fact]
    public async Task Combinator_race_of_an_awakeable_and_a_sleep_is_won_by_the_sleep()
    {
        var response = await Ingress.CallAsync($"/VirtualObjectCommandInterpreter/{NewKey()}/interpretCommands", new
        {
            commands = new object[]
            {
                new { type = "awaitAny", commands = new object[] { new { type = "createAwakeable", awakeableKey = "awk1" }, new { type = "sleep", timeoutMillis = 100 } } },
            },
        });
        Assert.Equal("sleep", response.Json.GetString());
    }

    [Fact]
    public async Task Awakeable_with_timeout_times_out()
    {
        var response = await Ingress.CallAsync($"/VirtualObjectCommandInterpreter/{NewKey()}/interpretCommands", new
        {
            commands = new object[] { new { type = "awaitAwakeableOrTimeout", awakeableKey = "awk1", timeoutMillis = 100 } },
        });
        Assert.Contains("await-timeout", response.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task All_completed_reports_each_result_in_order()
    {
        var response = await Ingress.CallAsync($"/VirtualObjectCommandInterpreter/{NewKey()}/interpretCommands", new
        {
            commands = new object[]
            {
                new
                {
                    type = "awaitAllCompleted",
                    commands = new object[]
                    {
                        new { type = "runReturns", value = "runval" },
                        new { type = "runThrowTerminalException", reason = "fail" },
                        new { type = "sleep", timeoutMillis = 10 },
                    },
                },
            },
        });
        Assert.Equal("ok:runval|err:fail|ok:sleep", response.Json.GetString());
    }

    [Fact]
    public async Task Named_signal_resolves_a_waiting_invocation()
    {
        var key = NewKey();
        var sent = await Ingress.SendAsync($"/VirtualObjectCommandInterpreter/{key}/interpretCommands",
            new { commands = new object[] { new { type = "awaitOne", command = new { type = "createSignal", signalName = "mysignal" } } } });
        await Ingress.CallAsync("/TestUtilsService/resolveSignal", new { invocationId = sent.InvocationId, signalName = "mysignal", value = "hello" });
        Assert.Equal("hello", (await Ingress.GetAsync($"/restate/invocation/{sent.InvocationId}/attach")).Json.GetString());
    }
}
