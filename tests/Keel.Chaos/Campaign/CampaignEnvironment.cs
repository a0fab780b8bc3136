using System.Globalization;

namespace Keel.Chaos.Campaign;

/// <summary>
/// What a campaign takes from the environment: <c>KEEL_CHAOS_SEED</c> to replay a run (a fresh seed otherwise),
/// <c>KEEL_CHAOS_SECONDS</c> to run the faults for longer than CI does.
/// </summary>
public static class CampaignEnvironment
{
    public const string SeedVariable = "KEEL_CHAOS_SEED";

    public const string SecondsVariable = "KEEL_CHAOS_SECONDS";

    public static int Seed() =>
        Environment.GetEnvironmentVariable(SeedVariable) is { Length: > 0 } text
            ? int.Parse(text, NumberStyles.Integer, CultureInfo.InvariantCulture)
            : Random.Shared.Next();

    public static TimeSpan Duration(TimeSpan byDefault) =>
        Environment.GetEnvironmentVariable(SecondsVariable) is { Length: > 0 } text
            ? TimeSpan.FromSeconds(double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture))
            : byDefault;
}
