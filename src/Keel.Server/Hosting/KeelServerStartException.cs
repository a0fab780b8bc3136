namespace Keel.Server.Hosting;

/// <summary>A server could not start: a setting, the identity key, the ports or the data directory cannot be used.</summary>
public sealed class KeelServerStartException : Exception
{
    public KeelServerStartException()
    {
    }

    public KeelServerStartException(string message)
        : base(message)
    {
    }

    public KeelServerStartException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
