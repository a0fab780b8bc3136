namespace Keel.Chaos.Tests.Campaign;

/// <summary>
/// The tests that start servers and endpoints and hurt them run one after the other, not side by side: on a
/// small CI machine two campaigns at once would starve each other (and the checkers' own tests) of CPU, and each
/// one's faults would land in the other's timing.
/// </summary>
[CollectionDefinition(Name)]
public sealed class CampaignCollection
{
    public const string Name = "Fault campaigns";
}
