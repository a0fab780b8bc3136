namespace Keel.Server.Hosting;

/// <summary>
/// Lets the server open its ports while its storage is still opening: a request that arrives before
/// the runtime serves waits here (as long as its client does) and goes on once the start completes,
/// or gets 503 when the start failed. A restart after a crash thus answers as soon as both halves
/// are ready instead of one after the other.
/// </summary>
internal sealed class StartGate
{
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The runtime serves: let every request through.</summary>
    public void Open() => _started.TrySetResult();

    /// <summary>The start failed: answer waiting and later requests with 503.</summary>
    public void Fail() => _started.TrySetException(new InvalidOperationException("The server failed to start."));

    /// <summary>Puts the gate in front of everything else in the pipeline.</summary>
    public void UseIn(WebApplication app) => app.Use(async (http, next) =>
    {
        if (!_started.Task.IsCompletedSuccessfully)
        {
            try
            {
                await _started.Task.WaitAsync(http.RequestAborted).ConfigureAwait(false);
            }
            catch (InvalidOperationException)
            {
                http.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                await http.Response.WriteAsJsonAsync(new { code = 503, message = "The server failed to start; see its log." }).ConfigureAwait(false);
                return;
            }
        }

        await next(http).ConfigureAwait(false);
    });
}
