using System.Text.Json;
using Keel.Sdk;

namespace Keel.Conformance.Services;

public sealed record InterpreterRequest(List<JsonElement> Commands);

public sealed record AwakeableRequest(string AwakeableKey, string? Value, string? Reason);

/// <summary>
/// The contract's small command interpreter (as Restate's conformance suite drives it): awaitable commands combined with
/// the durable-future combinators; each result is appended to the "results" state list.
/// </summary>
[VirtualObject(Name = "VirtualObjectCommandInterpreter")]
public sealed class CommandInterpreter
{
    private static readonly StateKey<List<string>> Results = new("results");

    [Handler]
    public async Task<string> InterpretCommands(IObjectContext ctx, InterpreterRequest request)
    {
        var last = string.Empty;
        foreach (var command in request.Commands)
        {
            last = await Execute(ctx, command);
            var results = await ctx.GetAsync(Results, []);
            results.Add(last);
            ctx.Set(Results, results);
        }

        return last;
    }

    private static async Task<string> Execute(IObjectContext ctx, JsonElement command)
    {
        var type = command.GetProperty("type").GetString();
        switch (type)
        {
            case "awaitOne":
                return await Awaitable(ctx, command.GetProperty("command"));
            case "awaitAny" or "awaitFirstCompleted":
                return await DurableFuture.Race(Awaitables(ctx, command));
            case "awaitAnySuccessful" or "awaitFirstSucceededOrAllFailed":
                return await DurableFuture.Any(Awaitables(ctx, command));
            case "awaitAllSucceededOrFirstFailed":
                return string.Join("|", await DurableFuture.All(Awaitables(ctx, command)));
            case "awaitAllCompleted":
                var all = Awaitables(ctx, command);
                await DurableFuture.AllSettled(all);
                var parts = new List<string>();
                foreach (var f in all)
                {
                    try
                    {
                        parts.Add("ok:" + await f);
                    }
                    catch (TerminalException e)
                    {
                        parts.Add("err:" + e.Message);
                    }
                }

                return string.Join("|", parts);
            case "awaitAwakeableOrTimeout":
                var awakeable = CreateAwakeable(ctx, command.GetProperty("awakeableKey").GetString()!);
                try
                {
                    return await awakeable.OrTimeout(TimeSpan.FromMilliseconds(command.GetProperty("timeoutMillis").GetInt64()));
                }
                catch (DurableTimeoutException)
                {
                    throw new TerminalException("await-timeout");
                }

            case "resolveAwakeable":
                ctx.ResolveAwakeable(await AwakeableId(ctx, command.GetProperty("awakeableKey").GetString()!), command.GetProperty("value").GetString());
                return string.Empty;
            case "rejectAwakeable":
                ctx.RejectAwakeable(await AwakeableId(ctx, command.GetProperty("awakeableKey").GetString()!), command.GetProperty("reason").GetString()!);
                return string.Empty;
            case "getEnvVariable":
                var name = command.GetProperty("envName").GetString()!;
                return await ctx.RunAsync("env", () => Task.FromResult(Environment.GetEnvironmentVariable(name) ?? string.Empty));
            default:
                throw new TerminalException($"Unknown command type '{type}'");
        }
    }

    private static DurableFuture<string>[] Awaitables(IObjectContext ctx, JsonElement command)
    {
        var list = new List<DurableFuture<string>>();
        foreach (var c in command.GetProperty("commands").EnumerateArray())
        {
            list.Add(Awaitable(ctx, c));
        }

        return [.. list];
    }

    /// <summary>Creates the future of an awaitable command without awaiting it.</summary>
    private static DurableFuture<string> Awaitable(IObjectContext ctx, JsonElement command) =>
        command.GetProperty("type").GetString() switch
        {
            "createAwakeable" => CreateAwakeable(ctx, command.GetProperty("awakeableKey").GetString()!),
            "sleep" => ctx.SleepAsync(TimeSpan.FromMilliseconds(command.GetProperty("timeoutMillis").GetInt64())).Map(() => "sleep"),
            "runReturns" => RunReturns(ctx, command.GetProperty("value").GetString()!),
            "runThrowTerminalException" => RunThrows(ctx, command.GetProperty("reason").GetString()!),
            "createSignal" => ctx.SignalAsync<string>(command.GetProperty("signalName").GetString()!),
            var other => throw new TerminalException($"Unknown awaitable command '{other}'"),
        };

    private static DurableFuture<string> RunReturns(IObjectContext ctx, string value) =>
        ctx.RunAsync("run should return", async () => { await Task.Yield(); return value; });

    private static DurableFuture<string> RunThrows(IObjectContext ctx, string reason) =>
        ctx.RunAsync<string>("run should fail", () => throw new TerminalException(reason));

    /// <summary>Stores the awakeable's id in state before anyone awaits it, so others can complete it.</summary>
    private static DurableFuture<string> CreateAwakeable(IObjectContext ctx, string key)
    {
        var awakeable = ctx.Awakeable<string>();
        ctx.Set(new StateKey<string>("awk-" + key), awakeable.Id);
        return awakeable.Future;
    }

    private static async Task<string> AwakeableId(ISharedObjectContext ctx, string key) =>
        await ctx.GetAsync(new StateKey<string>("awk-" + key)) ?? throw new TerminalException($"Awakeable {key} is not registered yet");

    [Handler, Shared]
    public async Task ResolveAwakeable(ISharedObjectContext ctx, AwakeableRequest request) =>
        ctx.ResolveAwakeable(await AwakeableId(ctx, request.AwakeableKey), request.Value);

    [Handler, Shared]
    public async Task RejectAwakeable(ISharedObjectContext ctx, AwakeableRequest request) =>
        ctx.RejectAwakeable(await AwakeableId(ctx, request.AwakeableKey), request.Reason ?? "rejected");

    [Handler, Shared]
    public async Task<bool> HasAwakeable(ISharedObjectContext ctx, string key) =>
        await ctx.GetAsync(new StateKey<string>("awk-" + key)) is not null;

    [Handler, Shared]
    public async Task<List<string>> GetResults(ISharedObjectContext ctx) => await ctx.GetAsync(Results, []);
}
