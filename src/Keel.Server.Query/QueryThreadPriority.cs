using System.Runtime.InteropServices;

namespace Keel.Server.Query;

/// <summary>
/// Lowers the scheduling priority of the calling thread (Linux <c>nice</c>, per thread), so that when
/// the CPU is contended the partitions and ingress run before a query. Queries run on a thread of
/// their own, which ends with the query, so the lowered priority never leaks into the thread pool.
/// </summary>
internal static class QueryThreadPriority
{
    private const int PrioProcess = 0;

    /// <summary>Sets the calling thread's niceness; returns false where that is not possible (not Linux, no permission).</summary>
    public static bool TryLower(int niceness)
    {
        if (niceness <= 0 || !OperatingSystem.IsLinux())
        {
            return false;
        }

        try
        {
            return SetPriority(PrioProcess, GetThreadId(), niceness) == 0;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    // Plain ints both ways: no marshalling, so the classic import is as cheap as a generated one.
    [DllImport("libc", EntryPoint = "setpriority")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int SetPriority(int which, int who, int priority);

    [DllImport("libc", EntryPoint = "gettid")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int GetThreadId();
}
