using System.Net.Http.Headers;
using System.Text;
using CsCheck;
using Keel.Fuzzing;
using Keel.Protocol.Ids;

namespace Keel.Server.Tests.Fuzz;

/// <summary>
/// Requests to the ingress with random methods, paths made of the API's words, the registered services'
/// names, ids (real-looking and not) and odd text, random query parameters (delay among them), headers
/// (idempotency key, content type, trace context) and bodies. Each is answered within a deadline, with a
/// 2xx, a 4xx or an invocation's own terminal error — never a bare 500 — and the server stays whole.
/// </summary>
[Collection(FuzzServerCollection.Name)]
public sealed class IngressFuzzTests(FuzzServer server)
{
    private static readonly string[] Methods = ["GET", "POST", "POST", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"];

    private static readonly string[] Words =
        ["Greeter", "greet", "Counter", "add", "get", "Signup", "run", "status", "Scratch", "look", "send", "restate", "invocation", "workflow",
         "awakeables", "a", "resolve", "reject", "attach", "output", "health", "k", "", ".", "..", "%2F", "%00", "%25", "%C3%A9", "%FF", "greet%20", "GREETER"];

    private static readonly string[] Queries = ["", "?delay=1s", "?delay=", "?delay=-5", "?delay=PT1H", "?delay=99999999999999d", "?delay=1ms&delay=2ms", "?x=%zz", "?delay=10", "?=&&="];

    private static readonly string[] ContentTypes = ["application/json", "application/json", "text/plain", "application/octet-stream", "application/json; charset=utf-16", "x/y; a=\"", ""];

    private static readonly string[] Bodies = ["", "\"hi\"", "1", "null", "{", "{\"a\":[1,2,", "\"\\ud800\"", "[]", new string('[', 5000)];

    [Fact]
    public async Task Any_request_is_answered_with_a_2xx_a_4xx_or_a_terminal_error()
    {
        await Gen.UInt.Array[1, 80].SampleAsync(async values =>
        {
            var c = new FuzzChoices(values);
            var path = "/" + string.Join('/', Enumerable.Range(0, c.Below(8)).Select(_ => Segment(c))) + c.Pick(Queries);
            // A path that starts with "//" would name another host (a network-path reference) to HttpClient.
            if (path.StartsWith("//", StringComparison.Ordinal) || !Uri.TryCreate(path, UriKind.Relative, out var uri))
            {
                return;
            }

            using var request = new HttpRequestMessage(new HttpMethod(c.Pick(Methods)), uri);
            if (request.Method != HttpMethod.Get && request.Method != HttpMethod.Head && c.Chance(85))
            {
                request.Content = new ByteArrayContent(c.Chance(70) ? Encoding.UTF8.GetBytes(c.Pick(Bodies)) : c.Bytes(64));
                if (c.Pick(ContentTypes) is { Length: > 0 } contentType)
                {
                    request.Content.Headers.TryAddWithoutValidation("content-type", contentType);
                }
            }

            foreach (var name in (string[])["idempotency-key", "traceparent", "tracestate", "x-restate-id", "accept", "x-fuzz"])
            {
                if (c.Chance(15))
                {
                    // HttpClient sends printable ASCII only.
                    request.Headers.TryAddWithoutValidation(name, new string([.. c.Text(FuzzFrames.Strings).Where(ch => ch is >= ' ' and <= '~')]));
                }
            }

            var shown = $"{request.Method} {path} {request.Headers} {request.Content?.Headers.ContentType}";
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            using var response = await server.Ingress.SendAsync(request, deadline.Token);
            await FuzzServer.AssertAnsweredAsync(response, shown);
            await server.AssertHealthyAsync(shown);
        }, iter: FuzzIterations.Count(150), threads: 1);
    }

    private static string Segment(FuzzChoices c) => c.Below(10) switch
    {
        < 6 => c.Pick(Words),
        6 => InvocationId.New(c.Next()).ToString(),
        7 => new AwakeableId(InvocationId.New(c.Next()), c.Next()).ToString(),
        _ => Uri.EscapeDataString(c.Text(FuzzFrames.Strings)),
    };
}
