namespace Keel.TestSupport;

/// <summary>
/// Loopback ports for servers started by tests: the same allocator as Keel.Testing's (its source is
/// compiled in here), below the kernel's ephemeral range, never handed out twice in one process.
/// </summary>
public static class FreePort
{
    public static int Next() => Keel.Testing.TestPorts.Next();
}
