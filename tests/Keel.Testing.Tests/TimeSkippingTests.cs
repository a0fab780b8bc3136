using Keel.Client;
using Keel.Sdk;

namespace Keel.Testing.Tests;

/// <summary>Durable time in the test environment: skipped automatically while a client waits, or moved by hand.</summary>
public sealed class TimeSkippingTests
{
    // A generous bound on waits that complete quickly, so a regression fails instead of hanging; never asserted on.
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_workflow_sleeping_one_day_completes_with_the_day_skipped()
    {
        await using var env = await KeelTestEnvironment.StartAsync(k => k.AddService<Hibernate>());
        var before = env.Time.GetUtcNow();

        var result = await env.Client.Workflow<HibernateIngressClient>("bear").RunAsync("Bruno").WaitAsync(Patience);

        Assert.Equal("Bruno woke up", result);
        Assert.True(env.Time.GetUtcNow() - before >= TimeSpan.FromDays(1), $"the clock moved {env.Time.GetUtcNow() - before}");
    }

    [Fact]
    public async Task Handlers_see_each_skipped_step_of_time_in_order()
    {
        await using var env = await KeelTestEnvironment.StartAsync(k => k.AddService<Stepper>());

        var seen = await env.Client.Workflow<StepperIngressClient>("steps").RunAsync(3).WaitAsync(Patience);

        Assert.Equal(4, seen.Count);
        for (var i = 1; i < seen.Count; i++)
        {
            Assert.True(seen[i] - seen[i - 1] >= TimeSpan.FromHours(1), $"step {i} took {seen[i] - seen[i - 1]}");
        }
    }

    [Fact]
    public async Task Time_is_skipped_for_a_call_chain_and_for_delayed_sends_made_by_handlers()
    {
        await using var env = await KeelTestEnvironment.StartAsync(k => k.AddService<Errand>().AddService<Napper>().AddService<Notebook>());

        var result = await env.Client.Workflow<ErrandIngressClient>("errand").RunAsync("errands").WaitAsync(Patience);

        Assert.Equal("errand done after napped 24h", result);
        Assert.Equal(["two hours after the errand began"], await env.Client.Object<NotebookIngressClient>("errands").ReadAsync());
    }

    [Fact]
    public async Task A_delayed_send_runs_once_its_hour_has_been_advanced_and_not_before()
    {
        await using var env = await ManualTime(k => k.AddService<Notebook>());
        var notebook = env.Client.Object<NotebookIngressClient>("diary");

        // A day skipped first: the delay must count from the test clock's now, not the wall clock's.
        await env.Time.AdvanceAsync(TimeSpan.FromDays(1));
        await notebook.Send(TimeSpan.FromHours(1)).WriteAsync("an hour later");
        await env.Time.AdvanceAsync(TimeSpan.FromMinutes(59));
        Assert.Empty(await notebook.ReadAsync());

        await env.Time.AdvanceAsync(TimeSpan.FromMinutes(1));
        Assert.Equal(["an hour later"], await notebook.ReadAsync());
    }

    [Fact]
    public async Task Advancing_by_hand_wakes_a_sleeping_workflow_when_automatic_skipping_is_off()
    {
        await using var env = await ManualTime(k => k.AddService<Hibernate>());
        var bear = env.Client.Workflow<HibernateIngressClient>("sleeper");
        await bear.Send().RunAsync("Kodiak");

        await env.Time.AdvanceAsync(TimeSpan.FromHours(23));
        var early = await Assert.ThrowsAsync<TerminalException>(() => env.Client.GetOutputAsync<string>(InvocationRef.ByWorkflow("Hibernate", "sleeper")));
        Assert.Equal(470, early.Code);

        await env.Time.AdvanceAsync(TimeSpan.FromHours(1));
        Assert.Equal("Kodiak woke up", await env.Client.GetOutputAsync<string>(InvocationRef.ByWorkflow("Hibernate", "sleeper")));
    }

    [Fact]
    public async Task Automatic_skipping_can_be_switched_on_while_a_call_waits()
    {
        await using var env = await ManualTime(k => k.AddService<Hibernate>());
        var call = env.Client.Workflow<HibernateIngressClient>("late").RunAsync("Yogi");
        await env.WaitForIdleAsync();
        Assert.False(call.IsCompleted);

        env.Time.AutoSkip = true;

        Assert.Equal("Yogi woke up", await call.WaitAsync(Patience));
    }

    private static Task<KeelTestEnvironment> ManualTime(Action<Keel.Sdk.AspNetCore.KeelBuilder> services) =>
        KeelTestEnvironment.StartAsync(new KeelTestEnvironmentOptions { ConfigureKeel = services, AutoSkipTime = false });
}
