using System.Diagnostics;

namespace Keel.TestSupport;

/// <summary>Starts a process with stdout and stderr appended to a log file.</summary>
public static class ProcessLogs
{
    public static Process Start(ProcessStartInfo start, string logFile)
    {
        ArgumentNullException.ThrowIfNull(start);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        var writer = new StreamWriter(logFile, append: true) { AutoFlush = true };
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        void Append(object _, DataReceivedEventArgs e)
        {
            if (e.Data is null)
            {
                return;
            }

            lock (writer)
            {
                writer.WriteLine(e.Data);
            }
        }

        process.OutputDataReceived += Append;
        process.ErrorDataReceived += Append;
        process.Exited += (_, _) => Task.Delay(500).ContinueWith(_ => { lock (writer) { writer.Dispose(); } }, TaskScheduler.Default);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    public static string Tail(string logFile, int lines = 40)
    {
        try
        {
            using var stream = new FileStream(logFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            var all = reader.ReadToEnd().Split('\n');
            return string.Join('\n', all.TakeLast(lines));
        }
        catch (IOException e)
        {
            return $"(no log: {e.Message})";
        }
    }
}
