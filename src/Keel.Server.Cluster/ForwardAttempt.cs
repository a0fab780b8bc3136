using System.Net;
using System.Net.Sockets;

namespace Keel.Server.Cluster;

/// <summary>How one forward to a partition's owner ended.</summary>
internal enum ForwardOutcome
{
    /// <summary>The owner answered; its answer was passed on (whatever it was).</summary>
    Answered,

    /// <summary>
    /// The owner could certainly not have accepted the request: the connection was refused before
    /// any of the request's body left this node, or the owner said it does not serve the partition
    /// (it refuses such requests before applying anything). Safe to send to another owner.
    /// </summary>
    NotTaken,
}

/// <summary>
/// A request's body as sent on to another node, noting whether it was ever handed to a connection.
/// HttpClient may send a request again by itself on a fresh connection when a reused one closes
/// before any answer; a request is only taken as "never sent" when its body was never written to
/// any connection at all. Bodyless requests get an empty body of this kind, so the same holds for
/// them (with a body, HttpClient writes the headers together with it, not before).
/// </summary>
internal sealed class TrackedContent(Stream? body, long? bodyLength) : HttpContent
{
    private int _written;

    /// <summary>Whether any connection was given this body (and so possibly the whole request).</summary>
    public bool Written => Volatile.Read(ref _written) != 0;

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
    {
        Volatile.Write(ref _written, 1);
        if (body is not null)
        {
            await body.CopyToAsync(stream).ConfigureAwait(false);
        }
    }

    protected override bool TryComputeLength(out long length)
    {
        // A chunked body (no length given) is sent chunked again.
        length = body is null ? 0 : bodyLength ?? 0;
        return body is null || bodyLength is not null;
    }

    /// <summary>
    /// Refused before any byte of the request could have been read: the connection was never
    /// established (refused, or the host unreachable) and the body never went to a connection.
    /// </summary>
    public bool RefusedBeforeSending(HttpRequestException e) =>
        !Written && (e.HttpRequestError == HttpRequestError.ConnectionError
            || e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused or SocketError.HostUnreachable or SocketError.NetworkUnreachable });
}
