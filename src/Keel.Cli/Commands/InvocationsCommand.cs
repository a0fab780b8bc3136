using System.CommandLine;

namespace Keel.Cli.Commands;

/// <summary><c>keel invocations …</c>: find, inspect and operate invocations.</summary>
internal static class InvocationsCommand
{
    public static Command Create()
    {
        var command = new Command("invocations", "List, describe and operate invocations (cancel, kill, purge, pause, resume)");
        command.Subcommands.Add(InvocationsListCommand.Create());
        command.Subcommands.Add(InvocationsDescribeCommand.Create());
        command.Subcommands.Add(InvocationActionCommand.Create("cancel", "Cancel: the handler sees a terminal error and unwinds (its calls are cancelled too)"));
        command.Subcommands.Add(InvocationActionCommand.Create("kill", "Kill: end at once without running user code; the calls it waits on are killed too"));
        command.Subcommands.Add(InvocationActionCommand.Create("purge", "Purge a completed invocation (its result, journal and idempotency key)"));
        command.Subcommands.Add(InvocationActionCommand.Create("pause", "Pause: stop the running attempt until resumed"));
        command.Subcommands.Add(InvocationActionCommand.Create("resume", "Resume a paused invocation (a new attempt now)"));
        return command;
    }
}
