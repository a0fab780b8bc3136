using Keel.Sdk.AspNetCore;

namespace Keel.Samples;

public static class SampleServices
{
    public static readonly Type[] All =
    [
        typeof(Greeter), typeof(Counter), typeof(Signup), typeof(Email), typeof(Orders), typeof(Inbox), typeof(Bank),
    ];

    public static KeelBuilder Register(KeelBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        foreach (var type in All)
        {
            builder.AddService(type);
        }

        return builder;
    }
}
