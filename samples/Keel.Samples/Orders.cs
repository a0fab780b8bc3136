using Keel.Sdk;

namespace Keel.Samples;

public sealed record Order(string Id, string Customer);

/// <summary>Seed: one-way sends (never lost) and a delayed send (a durable timer, no queue needed).</summary>
[Service]
public sealed class Orders
{
    [Handler]
    public async Task<string> Place(IContext ctx, Order order)
    {
        var confirmation = ctx.Service<EmailClient>().Send().Deliver(new Mail(order.Customer, $"Order {order.Id} placed"));
        ctx.Service<EmailClient>().Send(TimeSpan.FromSeconds(10)).Deliver(new Mail(order.Customer, $"How was order {order.Id}?"));
        return await confirmation.InvocationId;
    }
}
