namespace Keel.Bench;
internal static class ScaleBenchmark { public static Task RunAsync(BenchArgs args) => throw new NotImplementedException(); }
