namespace Keel.Bench;
internal static class SoakBenchmark { public static Task RunAsync(BenchArgs args) => throw new NotImplementedException(); }
