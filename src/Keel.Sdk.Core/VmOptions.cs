namespace Keel.Sdk.Core;

public sealed record VmOptions
{
    /// <summary>
    /// Every await also waits on the CANCEL signal; when it arrives the VM cancels the child calls and
    /// reports <see cref="AwaitResult.Cancelled"/> (the TS SDK's default behaviour).
    /// </summary>
    public bool ImplicitCancellation { get; init; } = true;
}
