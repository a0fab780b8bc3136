using Keel.Protocol.Framing;
using Keel.Protocol.Messages;
using Microsoft.Extensions.Logging;

namespace Keel.Sdk.Tests;

public class ReplayLoggingTests
{
    private sealed class ListLogger : ILogger
    {
        public List<string> Lines { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Add(formatter(state, exception));
    }

    [Fact]
    public async Task Context_logger_is_quiet_while_replaying()
    {
        var fresh = new ListLogger();
        await InvocationHarness.RunAsync<Greeter>("logAround", "", fresh);
        Assert.Equal(["before"], fresh.Lines);

        var replayed = new ListLogger();
        var output = await InvocationHarness.RunAsync<Greeter>("logAround", "", replayed,
            (MessageType.RunCommand, new RunCommandMessage { ResultCompletionId = 1, Name = "answer" }),
            (MessageType.RunCompletion, new NotificationTemplate { CompletionId = 1, Value = new Value { Content = Google.Protobuf.ByteString.CopyFromUtf8("1") } }));
        Assert.IsType<OutputCommandMessage>(output[0]);
        Assert.Equal(["after"], replayed.Lines);
    }
}
