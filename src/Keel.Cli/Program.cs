using System.CommandLine;
using Keel.Cli;
using Keel.Cli.Commands;

var root = new RootCommand("keel: operate a Keel (or Restate 1.7) server through its admin API and ingress.");
GlobalOptions.AddTo(root);
root.Subcommands.Add(DeploymentsCommand.Create());
root.Subcommands.Add(ServicesCommand.Create());
root.Subcommands.Add(InvocationsCommand.Create());
root.Subcommands.Add(StateCommand.Create());
root.Subcommands.Add(InvokeCommand.Create());
root.Subcommands.Add(SqlCommand.Create());
root.Subcommands.Add(ClusterCommand.Create());

var parsed = root.Parse(args);

// Parse errors are usage errors: one line and exit code 2, rather than System.CommandLine's help dump and 1.
if (parsed.Errors.Count > 0)
{
    // An unrecognized word says more than the "required command" error it also causes.
    var error = parsed.Errors.FirstOrDefault(e => e.Message.StartsWith("Unrecognized", StringComparison.Ordinal)) ?? parsed.Errors[0];
    await Console.Error.WriteLineAsync($"error: {error.Message} (see keel --help)");
    return ExitCodes.Usage;
}

return await parsed.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
