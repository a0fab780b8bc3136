using Keel.Sdk;

namespace Keel.Samples;

public sealed record Mail(string To, string Body);

/// <summary>A side effect: the send happens inside RunAsync, so a retry never sends it twice.</summary>
[Service]
public sealed class Email
{
    [Handler]
    public async Task Deliver(IContext ctx, Mail mail) =>
        await ctx.RunAsync("deliver", () =>
        {
            Console.WriteLine($"[email] to {mail.To}: {mail.Body}");
            return Task.CompletedTask;
        });
}
