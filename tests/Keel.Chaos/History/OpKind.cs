namespace Keel.Chaos.History;

/// <summary>What an entry of a history says about an operation (Jepsen's :invoke, :ok, :fail, :info).</summary>
public enum OpKind
{
    /// <summary>A client began the operation.</summary>
    Invoke,

    /// <summary>The operation completed and took effect (its result, if any, is the entry's value).</summary>
    Ok,

    /// <summary>The operation certainly did not take effect (refused before it reached the server, a compare that did not match).</summary>
    Fail,

    /// <summary>
    /// The outcome is unknown (a timeout, a connection cut mid-request, a 5xx): the operation may take effect
    /// at any time after its invocation, or never. Also used for nemesis events, which are not client operations.
    /// </summary>
    Info,
}
