using Google.Protobuf;
using Keel.Protocol.Messages;

namespace Keel.Sdk.Core;

internal static class FailureConversions
{
    public static TerminalFailure FromProto(Failure failure) => new(
        (ushort)failure.Code,
        failure.Message,
        failure.Metadata.Count == 0 ? null : failure.Metadata.ToDictionary(m => m.Key, m => m.Value));

    public static Failure ToProto(TerminalFailure failure)
    {
        var proto = new Failure { Code = failure.Code, Message = failure.Message };
        if (failure.Metadata is not null)
        {
            proto.Metadata.AddRange(failure.Metadata.Select(kv => new FailureMetadata { Key = kv.Key, Value = kv.Value }));
        }

        return proto;
    }

    public static Value ToValue(ReadOnlyMemory<byte> bytes) => new() { Content = ByteString.CopyFrom(bytes.Span) };
}
