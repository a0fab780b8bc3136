namespace Keel.Sdk.AspNetCore;

internal static class SdkVersion
{
    public const string HeaderName = "x-restate-server";

    public static string Value { get; } = "keel-sdk-dotnet/" + (typeof(SdkVersion).Assembly.GetName().Version?.ToString(3) ?? "0.0.0");
}
