using System.Buffers.Binary;
using Google.Protobuf;
using Keel.Protocol.Framing;
using Keel.Protocol.Ids;
using Keel.Protocol.Messages;

namespace Keel.Fuzzing;

/// <summary>
/// Service-protocol bytes for fuzzing either end of the wire (the SDK's VM, the server's invoker): well-formed
/// messages of every type with hostile field values, notifications of any type, unknown type ids, payloads
/// that are not protobuf, length fields that lie (short, long, huge), truncated frames, and the whole
/// stream bit-flipped, cut or spliced. Shared by the SDK's and the server's fuzz tests.
/// </summary>
internal static class FuzzFrames
{
    /// <summary>Names, keys and ids a peer might send: the fuzzed services' own, empty, odd and long ones.</summary>
    public static readonly string[] Strings =
    [
        "", "k", "key", "Greeter", "greet", "FuzzSix", "FuzzSeven", "run", "NoSuchService", "\0", "a/b", "é🙂", "%2F..",
        new string('x', 5000), InvocationId.New(3).ToString(), "inv_1", "inv_" + new string('z', 40),
        new AwakeableId(InvocationId.New(1), 17).ToString(), "sign_1", "sign_1" + new string('A', 60),
    ];

    private static readonly MessageType[] NotificationTypes = [.. Enum.GetValues<MessageType>().Where(t => t.IsNotification())];

    /// <summary>Well-formed (protobuf-wise) frames then mutations of the stream; <paramref name="start"/> comes first when given.</summary>
    public static byte[] Stream(FuzzChoices c, int maxFrames, StartMessage? start = null)
    {
        using var buffer = new MemoryStream();
        if (start is not null)
        {
            buffer.Write(MessageCodec.Encode(start));
        }

        var frames = c.Below(maxFrames + 1);
        for (var i = 0; i < frames; i++)
        {
            buffer.Write(Frame(c));
        }

        return Mutate(c, buffer.ToArray());
    }

    /// <summary>One frame, honest or not.</summary>
    public static byte[] Frame(FuzzChoices c)
    {
        var kind = c.Below(100);
        if (kind < 55)
        {
            var message = Message(c);
            return MessageCodec.Encode(message, c.Chance(10));
        }

        if (kind < 67)
        {
            return NotificationFrame(c);
        }

        if (kind < 75)
        {
            // Type ids nobody defined: the gaps between control, command and notification ids, and custom ones.
            var type = (MessageType)c.Pick<ushort>([(ushort)(0x0008 + c.Below(0x03F8)), 0x040F, (ushort)(0x0415 + c.Below(0x3BEB)), (ushort)(0xFC00 + c.Below(0x400))]);
            return Raw(type, c.Bytes(40), c.Chance(10));
        }

        if (kind < 85)
        {
            // A known type whose payload is not its message.
            return Raw((MessageType)(ushort)c.Pick(Enum.GetValues<MessageType>()), c.Bytes(40), false);
        }

        var honest = MessageCodec.Encode(Message(c));
        var length = kind switch
        {
            < 92 => (uint)Math.Max(0, honest.Length - FrameHeader.Size + c.Below(9) - 4),     // a few bytes off
            < 97 => c.Pick<uint>([FrameDecoder.DefaultMaxMessageSize - 1u, FrameDecoder.DefaultMaxMessageSize + 1u, uint.MaxValue, int.MaxValue + 1u]),
            _ => 0u,
        };
        BinaryPrimitives.WriteUInt32BigEndian(honest.AsSpan(4), length);
        return kind < 97 ? honest : honest[..c.Below(FrameHeader.Size)];   // the last kind: a header cut short
    }

    /// <summary>A notification frame: mostly of a defined type, now and then of an undefined one in the notification range.</summary>
    public static byte[] NotificationFrame(FuzzChoices c)
    {
        var type = c.Chance(80) ? c.Pick(NotificationTypes) : (MessageType)(0x8000 + c.Below(0x7C00));
        return FrameEncoder.Encode(type, Notification(c));
    }

    /// <summary>Any message of the protocol with field values chosen to hurt.</summary>
    public static IMessage Message(FuzzChoices c) => c.Below(27) switch
    {
        0 => Start(c),
        1 => new SuspensionMessage { AwaitingOn = Future(c, 3) },
        2 => V6Suspension(c),
        3 => Error(c),
        4 => new EndMessage(),
        5 => new CommandAckMessage { CommandIndex = c.SmallOrAny() },
        6 => Proposal(c),
        7 => new AwaitingOnMessage { AwaitingOn = Future(c, 3), ExecutingSideEffects = c.Chance(50) },
        8 => new ProposeRunCompletionAckMessage { CompletionId = c.SmallOrAny() },
        9 => new InputCommandMessage { Value = Value(c), Name = Text(c) },
        10 => Output(c),
        11 => new GetLazyStateCommandMessage { Key = Key(c), ResultCompletionId = c.SmallOrAny() },
        12 => new SetStateCommandMessage { Key = Key(c), Value = Value(c) },
        13 => new ClearStateCommandMessage { Key = Key(c) },
        14 => new ClearAllStateCommandMessage(),
        15 => new GetLazyStateKeysCommandMessage { ResultCompletionId = c.SmallOrAny() },
        16 => c.Chance(50) ? new GetEagerStateCommandMessage { Key = Key(c), Void = new Unit() } : new GetEagerStateCommandMessage { Key = Key(c), Value = Value(c) },
        17 => new GetEagerStateKeysCommandMessage { Value = new StateKeys { Keys = { Key(c), Key(c) } } },
        18 => new GetPromiseCommandMessage { Key = Text(c), ResultCompletionId = c.SmallOrAny() },
        19 => new PeekPromiseCommandMessage { Key = Text(c), ResultCompletionId = c.SmallOrAny() },
        20 => CompletePromise(c),
        21 => new SleepCommandMessage { WakeUpTime = Time(c), ResultCompletionId = c.SmallOrAny(), Name = Text(c) },
        22 => Call(c),
        23 => Send(c),
        24 => Signal(c),
        25 => new RunCommandMessage { ResultCompletionId = c.SmallOrAny(), Name = Text(c) },
        _ => Targeted(c),
    };

    public static StartMessage Start(FuzzChoices c)
    {
        var id = c.Chance(80) ? InvocationId.New(c.Next()) : default;
        var start = new StartMessage
        {
            Id = ByteString.CopyFrom(c.Chance(90) ? id.ToBytes() : c.Bytes(20)),
            DebugId = c.Chance(90) ? id.ToString() : Text(c),
            KnownEntries = c.Chance(90) ? (uint)c.Below(5) : c.Next(),
            PartialState = c.Chance(50),
            Key = Text(c),
            RetryCountSinceLastStoredEntry = c.SmallOrAny(),
            DurationSinceLastStoredEntry = c.Chance(80) ? c.Next() : c.NextLong(),
            RandomSeed = c.NextLong(),
        };
        for (var i = c.Below(3); i > 0; i--)
        {
            start.StateMap.Add(new StartMessage.Types.StateEntry { Key = Key(c), Value = ByteString.CopyFrom(c.Bytes(10)) });
        }

        return start;
    }

    public static NotificationTemplate Notification(FuzzChoices c)
    {
        var n = new NotificationTemplate();
        switch (c.Below(10))
        {
            case < 5: n.CompletionId = c.SmallOrAny(); break;
            case < 8: n.SignalId = c.Chance(30) ? 1 : c.SmallOrAny() + 15; break;
            case 8: n.SignalName = Text(c); break;
            default: break;   // no id at all
        }

        switch (c.Below(12))
        {
            case < 2: n.Void = new Unit(); break;
            case < 5: n.Value = Value(c); break;
            case < 7: n.Failure = Failure(c); break;
            case < 9: n.InvocationId = Text(c); break;
            case < 11: n.StateKeys = new StateKeys { Keys = { Key(c) } }; break;
            default: break;   // no result at all
        }

        return n;
    }

    private static Future Future(FuzzChoices c, int depth)
    {
        var future = new Future { CombinatorType = (CombinatorType)c.Below(6) };
        for (var i = c.Below(3); i > 0; i--)
        {
            future.WaitingCompletions.Add(c.SmallOrAny());
        }

        if (c.Chance(30))
        {
            future.WaitingSignals.Add(c.SmallOrAny() + 15);
        }

        if (c.Chance(20))
        {
            future.WaitingNamedSignals.Add(Text(c));
        }

        for (var i = depth > 0 ? c.Below(3) : 0; i > 0; i--)
        {
            future.NestedFutures.Add(Future(c, depth - 1));
        }

        return future;
    }

    private static SuspensionMessageV6 V6Suspension(FuzzChoices c)
    {
        var suspension = new SuspensionMessageV6();
        for (var i = c.Below(3); i > 0; i--)
        {
            suspension.WaitingCompletions.Add(c.SmallOrAny());
        }

        if (c.Chance(30))
        {
            suspension.WaitingNamedSignals.Add(Text(c));
        }

        return suspension;
    }

    private static ErrorMessage Error(FuzzChoices c)
    {
        var error = new ErrorMessage { Code = c.Chance(70) ? c.Pick<uint>([0u, 400, 409, 500, 570, 571, 65536]) : c.Next(), Message = Text(c), Stacktrace = Text(c), Behavior = (ErrorBehavior)c.Below(5) };
        if (c.Chance(50))
        {
            error.NextRetryDelay = c.Chance(50) ? c.Next() % 2000 : c.NextLong();
        }

        if (c.Chance(30))
        {
            error.RelatedCommandIndex = c.SmallOrAny();
            error.RelatedCommandType = c.Next();
            error.RelatedCommandName = Text(c);
        }

        return error;
    }

    private static ProposeRunCompletionMessage Proposal(FuzzChoices c) => c.Chance(50)
        ? new ProposeRunCompletionMessage { ResultCompletionId = c.SmallOrAny(), Value = ByteString.CopyFrom(c.Bytes(20)) }
        : new ProposeRunCompletionMessage { ResultCompletionId = c.SmallOrAny(), Failure = Failure(c) };

    private static OutputCommandMessage Output(FuzzChoices c) => c.Below(3) switch
    {
        0 => new OutputCommandMessage { Value = Value(c) },
        1 => new OutputCommandMessage { Failure = Failure(c) },
        _ => new OutputCommandMessage(),
    };

    private static CompletePromiseCommandMessage CompletePromise(FuzzChoices c) => c.Chance(50)
        ? new CompletePromiseCommandMessage { Key = Text(c), CompletionValue = Value(c), ResultCompletionId = c.SmallOrAny() }
        : new CompletePromiseCommandMessage { Key = Text(c), CompletionFailure = Failure(c), ResultCompletionId = c.SmallOrAny() };

    private static CallCommandMessage Call(FuzzChoices c)
    {
        var call = new CallCommandMessage
        {
            ServiceName = Text(c), HandlerName = Text(c), Key = Text(c), Parameter = ByteString.CopyFrom(c.Bytes(20)),
            InvocationIdNotificationIdx = c.SmallOrAny(), ResultCompletionId = c.SmallOrAny(),
        };
        if (c.Chance(30))
        {
            call.IdempotencyKey = Text(c);
        }

        if (c.Chance(30))
        {
            call.Headers.Add(new Header { Key = Text(c), Value = Text(c) });
        }

        return call;
    }

    private static OneWayCallCommandMessage Send(FuzzChoices c)
    {
        var send = new OneWayCallCommandMessage
        {
            ServiceName = Text(c), HandlerName = Text(c), Key = Text(c), Parameter = ByteString.CopyFrom(c.Bytes(20)),
            InvokeTime = c.Chance(50) ? 0 : Time(c), InvocationIdNotificationIdx = c.SmallOrAny(),
        };
        if (c.Chance(30))
        {
            send.IdempotencyKey = Text(c);
        }

        return send;
    }

    private static SendSignalCommandMessage Signal(FuzzChoices c)
    {
        var signal = new SendSignalCommandMessage { TargetInvocationId = Text(c), EntryName = Text(c) };
        if (c.Chance(50))
        {
            signal.Idx = c.SmallOrAny();
        }
        else
        {
            signal.Name = Text(c);
        }

        switch (c.Below(3))
        {
            case 0: signal.Void = new Unit(); break;
            case 1: signal.Value = Value(c); break;
            default: signal.Failure = Failure(c); break;
        }

        return signal;
    }

    /// <summary>Attach, get-output and complete-awakeable: commands that name another invocation.</summary>
    private static IMessage Targeted(FuzzChoices c)
    {
        switch (c.Below(3))
        {
            case 0:
                var attach = new AttachInvocationCommandMessage { ResultCompletionId = c.SmallOrAny() };
                switch (c.Below(4))
                {
                    case 0: attach.InvocationId = Text(c); break;
                    case 1: attach.WorkflowTarget = new WorkflowTarget { WorkflowName = Text(c), WorkflowKey = Text(c) }; break;
                    case 2: attach.IdempotentRequestTarget = new IdempotentRequestTarget { ServiceName = Text(c), HandlerName = Text(c), IdempotencyKey = Text(c) }; break;
                }

                return attach;
            case 1:
                var output = new GetInvocationOutputCommandMessage { ResultCompletionId = c.SmallOrAny() };
                if (c.Chance(70))
                {
                    output.InvocationId = Text(c);
                }

                return output;
            default:
                return c.Chance(50)
                    ? new CompleteAwakeableCommandMessage { AwakeableId = Text(c), Value = Value(c) }
                    : new CompleteAwakeableCommandMessage { AwakeableId = Text(c), Failure = Failure(c) };
        }
    }

    /// <summary>Milliseconds since the epoch: the past, about now, the far future, beyond any calendar.</summary>
    private static ulong Time(FuzzChoices c) => c.Below(5) switch
    {
        0 => 0,
        1 => (ulong)DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + (ulong)c.Below(500),
        2 => (ulong)DateTimeOffset.UtcNow.AddYears(100).ToUnixTimeMilliseconds(),
        3 => ulong.MaxValue - (ulong)c.Below(3),
        _ => c.NextLong(),
    };

    private static Failure Failure(FuzzChoices c)
    {
        var failure = new Failure { Code = c.Chance(70) ? c.Pick<uint>([0u, 400, 409, 500, 65535, 65536]) : c.Next(), Message = Text(c) };
        if (c.Chance(20))
        {
            failure.Metadata.Add(new FailureMetadata { Key = Text(c), Value = Text(c) });
        }

        return failure;
    }

    private static Value Value(FuzzChoices c) => new() { Content = ByteString.CopyFrom(c.Chance(50) ? System.Text.Encoding.UTF8.GetBytes("\"v\"") : c.Bytes(30)) };

    private static ByteString Key(FuzzChoices c) => c.Chance(90) ? ByteString.CopyFromUtf8(Text(c)) : ByteString.CopyFrom(c.Bytes(8));

    private static string Text(FuzzChoices c) => c.Text(Strings);

    private static byte[] Raw(MessageType type, byte[] payload, bool requestedAck)
    {
        var frame = new byte[FrameHeader.Size + payload.Length];
        new FrameHeader(type, (uint)payload.Length, requestedAck).WriteTo(frame);
        payload.CopyTo(frame.AsSpan(FrameHeader.Size));
        return frame;
    }

    /// <summary>Now and then damages the stream as a whole: flipped bytes, cut short, a slice repeated.</summary>
    private static byte[] Mutate(FuzzChoices c, byte[] stream)
    {
        if (stream.Length == 0)
        {
            return stream;
        }

        if (c.Chance(15))
        {
            for (var i = 1 + c.Below(4); i > 0; i--)
            {
                stream[c.Below(stream.Length)] ^= (byte)(1 << c.Below(8));
            }
        }

        if (c.Chance(10))
        {
            stream = stream[..c.Below(stream.Length)];
        }

        if (c.Chance(5) && stream.Length > 1)
        {
            var from = c.Below(stream.Length);
            var slice = stream[from..(from + c.Below(stream.Length - from))];
            stream = [.. stream, .. slice];
        }

        return stream;
    }
}
