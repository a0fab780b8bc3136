namespace Keel.Fuzzing;

/// <summary>
/// How many cases a fuzz test tries: its own short default in the normal test run, or
/// <c>KEEL_FUZZ_ITERATIONS</c> for a long run by hand. CsCheck prints the seed of a failing case;
/// <c>CsCheck_Seed</c> replays it.
/// </summary>
internal static class FuzzIterations
{
    public static int Count(int normal) =>
        int.TryParse(Environment.GetEnvironmentVariable("KEEL_FUZZ_ITERATIONS"), out var count) && count > 0 ? count : normal;
}
