using System.Collections.Concurrent;
using Keel.Sdk;

namespace Keel.Conformance.Services;

public sealed record ErrorRequest(string ErrorMessage, Dictionary<string, string>? Metadata);

/// <summary>Attempt counters live in process memory on purpose: they count real executions, not journaled ones.</summary>
[VirtualObject]
public sealed class Failing
{
    private static readonly ConcurrentDictionary<string, int> EventualSuccessAttempts = new();
    private static readonly ConcurrentDictionary<string, int> SideEffectAttempts = new();

    [Handler]
    public Task<int> TerminallyFailingCall(IObjectContext ctx, ErrorRequest request) =>
        throw new TerminalException(request.ErrorMessage, TerminalException.DefaultCode, request.Metadata);

    [Handler]
    public async Task<string> CallTerminallyFailingCall(IObjectContext ctx, ErrorRequest request)
    {
        var key = ctx.Random.Next().ToString(System.Globalization.CultureInfo.InvariantCulture);
        await ctx.CallAsync<int>(Target.Object("Failing", key, "terminallyFailingCall"), request);
        throw new InvalidOperationException("Should not reach here");
    }

    [Handler]
    public Task<int> FailingCallWithEventualSuccess(IObjectContext ctx)
    {
        var attempt = EventualSuccessAttempts.AddOrUpdate(ctx.Key, 1, (_, n) => n + 1);
        if (attempt < 4)
        {
            throw new InvalidOperationException($"Failed at attempt {attempt}");
        }

        EventualSuccessAttempts.TryRemove(ctx.Key, out _);
        return Task.FromResult(attempt);
    }

    [Handler]
    public async Task TerminallyFailingSideEffect(IObjectContext ctx, ErrorRequest request) =>
        await ctx.RunAsync("fail", () => throw new TerminalException(request.ErrorMessage, TerminalException.DefaultCode, request.Metadata));

    [Handler]
    public async Task<int> SideEffectSucceedsAfterGivenAttempts(IObjectContext ctx, int minimumAttempts)
    {
        var attempts = 0;
        var policy = new RetryPolicy { InitialDelay = TimeSpan.FromMilliseconds(10), Factor = 1 };
        return await ctx.RunAsync("succeeds-eventually", () =>
        {
            attempts = SideEffectAttempts.AddOrUpdate(ctx.Key, 1, (_, n) => n + 1);
            if (attempts < minimumAttempts)
            {
                throw new InvalidOperationException($"Failed at attempt {attempts}");
            }

            SideEffectAttempts.TryRemove(ctx.Key, out _);
            return Task.FromResult(attempts);
        }, policy);
    }

    [Handler]
    public async Task<int> SideEffectFailsAfterGivenAttempts(IObjectContext ctx, int retryPolicyMaxRetryCount)
    {
        var policy = new RetryPolicy { InitialDelay = TimeSpan.FromMilliseconds(10), Factor = 1, MaxAttempts = retryPolicyMaxRetryCount };
        try
        {
            await ctx.RunAsync("fails-always", () =>
            {
                SideEffectAttempts.AddOrUpdate(ctx.Key, 1, (_, n) => n + 1);
                throw new InvalidOperationException("Failing on purpose");
            }, policy);
            throw new InvalidOperationException("Should not reach here");
        }
        catch (TerminalException)
        {
            return SideEffectAttempts.TryRemove(ctx.Key, out var count) ? count : 0;
        }
    }
}
