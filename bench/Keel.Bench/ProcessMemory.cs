namespace Keel.Bench;

/// <summary>Resident memory of a process, from /proc/&lt;pid&gt;/status.</summary>
internal static class ProcessMemory
{
    /// <summary>VmRSS in MiB, or NaN when the process is gone.</summary>
    public static double RssMiB(int pid) => Field(pid, "VmRSS:");

    /// <summary>VmHWM (peak resident) in MiB, or NaN when the process is gone.</summary>
    public static double PeakRssMiB(int pid) => Field(pid, "VmHWM:");

    private static double Field(int pid, string name)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith(name, StringComparison.Ordinal))
                {
                    // "VmRSS:	  123456 kB"
                    return long.Parse(line[name.Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) / 1024.0;
                }
            }
        }
        catch (IOException)
        {
        }

        return double.NaN;
    }
}
