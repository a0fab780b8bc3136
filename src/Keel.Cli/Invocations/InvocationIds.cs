using System.Text.RegularExpressions;

namespace Keel.Cli.Invocations;

/// <summary>Checks invocation ids before asking the server, so a typo is a usage error, not a "not found".</summary>
internal static partial class InvocationIds
{
    public static string Require(string id)
    {
        var trimmed = id.Trim();
        return Shape().IsMatch(trimmed)
            ? trimmed
            : throw CliException.Usage($"'{id}' is not an invocation id (they look like inv_1gdJBtdVEcM942bjcDmb1c1khoaJe11Hbz)");
    }

    [GeneratedRegex("^inv_[0-9A-Za-z]{20,}$")]
    private static partial Regex Shape();
}
