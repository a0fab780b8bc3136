using System.Net.Sockets;
using System.Text.Json;

namespace Keel.Cli.Api;

/// <summary>Sends one request and turns transport failures into one readable line naming the URL.</summary>
internal static class Transport
{
    public static async Task<ApiResponse> SendAsync(HttpClient http, HttpRequestMessage request, string what, CancellationToken ct)
    {
        var url = new Uri(http.BaseAddress!, request.RequestUri!);
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, ct);
        }
        catch (HttpRequestException e)
        {
            var reason = e.InnerException is SocketException s ? s.Message : e.Message;
            throw new CliException($"cannot reach the {what} at {http.BaseAddress}: {reason}");
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new CliException($"the {what} at {http.BaseAddress} did not answer {request.Method} {url.AbsolutePath} within {http.Timeout.TotalSeconds:0} s");
        }

        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(ct);
            JsonElement? body = null;
            if (text.Length > 0)
            {
                try
                {
                    body = JsonDocument.Parse(text).RootElement.Clone();
                }
                catch (JsonException)
                {
                    // Not JSON (a plain-text error, or a non-JSON result): the text is kept for the message.
                }
            }

            return new ApiResponse((int)response.StatusCode, body, text);
        }
    }
}
