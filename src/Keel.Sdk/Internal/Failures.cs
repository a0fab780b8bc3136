using Keel.Sdk.Core;

namespace Keel.Sdk.Internal;

internal static class Failures
{
    public static TerminalException ToException(TerminalFailure failure) =>
        new(failure.Message, failure.Code, failure.Metadata);

    public static TerminalFailure FromException(TerminalException e) =>
        new(e.Code, e.Message, e.Metadata.Count == 0 ? null : e.Metadata);
}
