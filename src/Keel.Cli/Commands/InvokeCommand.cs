using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Keel.Cli.Output;

namespace Keel.Cli.Commands;

/// <summary><c>keel invoke Svc/[key/]handler [json]</c>: a call (prints the result) or a one-way send (prints the id) through the ingress.</summary>
internal static class InvokeCommand
{
    public static Command Create()
    {
        var target = new Argument<string>("target") { Description = "Service/handler, or Object/key/handler, or Workflow/id/handler" };
        var body = new Argument<string?>("json") { Description = "The request body, as JSON (none when left out)", Arity = ArgumentArity.ZeroOrOne };
        var send = new Option<bool>("--send") { Description = "Send one-way: print the invocation id, do not wait for the result" };
        var delay = new Option<string>("--delay") { Description = "Send with this delay (implies --send), e.g. 5s" };
        var idempotencyKey = new Option<string>("--idempotency-key") { Description = "Idempotency key for the request" };
        var command = new Command("invoke", "Call a handler through the ingress") { target, body, send, delay, idempotencyKey };
        CommandAction.Set(command, async c =>
        {
            var parts = c.Get(target)!.Split('/');
            if (parts.Length is < 2 or > 3 || parts.Any(p => p.Length == 0))
            {
                throw CliException.Usage($"'{c.Get(target)}' is not Service/handler or Object/key/handler");
            }

            var json = c.Get(body);
            if (json is not null)
            {
                try
                {
                    using var _ = JsonDocument.Parse(json);
                }
                catch (JsonException e)
                {
                    throw CliException.Usage($"the body is not JSON ({e.Message}); quote strings: '\"text\"'");
                }
            }

            var delayText = c.Get(delay) is { } d ? Durations.Validate(d, "--delay") : null;
            var oneWay = c.Get(send) || delayText is not null;
            var path = "/" + string.Join('/', parts.Select(Uri.EscapeDataString)) + (oneWay ? "/send" : string.Empty)
                + (delayText is null ? string.Empty : "?delay=" + Uri.EscapeDataString(delayText));
            var (response, invocationId) = await c.Ingress.PostAsync(path, json, c.Get(idempotencyKey), c.Cancellation);
            if (!response.IsSuccess)
            {
                throw new CliException($"{c.Get(target)}: {response.Message} (HTTP {response.Status})");
            }

            if (oneWay)
            {
                if (c.Json)
                {
                    JsonOut.Write(new JsonObject { ["invocation_id"] = invocationId, ["status"] = response.Body?.GetProperty("status").GetString() });
                }
                else
                {
                    c.Out.WriteLine(invocationId ?? response.Text);
                }

                return;
            }

            // The result as the handler returned it: JSON pretty-printed, anything else as text.
            if (response.Body is { } result)
            {
                JsonOut.Write(JsonOut.Node(result));
            }
            else
            {
                Console.Out.WriteLine(response.Text);
            }
        });
        return command;
    }
}
