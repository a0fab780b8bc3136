using Keel.Chaos.History;

namespace Keel.Chaos.Workloads;

/// <summary>One operation of a client: the caller, the client's number and random source, the operation's number, the process to record it under.</summary>
public delegate Task<OpKind> ClientOperation(IngressCaller caller, int client, Random random, int index, int process);

/// <summary>
/// The loop the workloads' clients share: <see cref="WorkloadOptions.Clients"/> clients, each one operation at a
/// time until the stop; after an indeterminate operation the client goes on as a new process (the old one may still
/// be "running" in the history), and after any operation that did not succeed it pauses for the back-off, so a
/// server that is down is not hammered by refused connections.
/// </summary>
public static class ClientLoop
{
    public static async Task RunAsync(WorkloadOptions options, OpHistory history, string workload, CancellationToken stop, ClientOperation operation)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(history);
        ArgumentNullException.ThrowIfNull(operation);
        using var caller = new IngressCaller(options.IngressUrl, options.OperationTimeout);
        await Task.WhenAll(Enumerable.Range(0, options.Clients).Select(client => Task.Run(async () =>
        {
            var random = new Random(SeedOf(options.Seed, workload, client));
            var process = history.NewProcess();
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                var outcome = await operation(caller, client, random, i, process);
                if (outcome == OpKind.Ok)
                {
                    continue;
                }

                if (outcome == OpKind.Info)
                {
                    process = history.NewProcess();
                }

                await Task.Delay(options.BackOff, stop).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        })));
    }

    /// <summary>
    /// The same for the same seed in every process (<see cref="HashCode.Combine{T1, T2}"/>, used before, is salted
    /// per process, so a replayed seed did not replay the clients' choices).
    /// </summary>
    private static int SeedOf(int seed, string workload, int client)
    {
        var hash = seed;
        foreach (var c in workload)
        {
            hash = unchecked((hash * 31) + c);
        }

        return unchecked((hash * 31) + client);
    }
}
