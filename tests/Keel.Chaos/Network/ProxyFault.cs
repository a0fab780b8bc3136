namespace Keel.Chaos.Network;

/// <summary>What a <see cref="TcpProxy"/> does to the traffic through it.</summary>
public enum ProxyFault
{
    /// <summary>Forwards every byte both ways, as soon as it arrives.</summary>
    None,

    /// <summary>New connections are reset as soon as they are accepted (a peer down or a firewall rejecting); open ones go on.</summary>
    DropNewConnections,

    /// <summary>Every chunk, both ways, and every new connection's connect waits <see cref="TcpProxy.Delay"/> first (a slow link).</summary>
    Delay,

    /// <summary>
    /// Open connections are reset now (RST, via linger 0), new ones after their first chunk: streams cut in the
    /// middle of a request or a response.
    /// </summary>
    Reset,

    /// <summary>
    /// Bytes are read and thrown away, nothing is forwarded, no connection is closed (a partition: the peer looks
    /// alive but never answers). A connection that lost bytes this way is reset at the heal, since its stream
    /// can never be whole again.
    /// </summary>
    Blackhole,
}
