using Keel.Server.Hosting;

return await KeelServerHost.RunAsync(args).ConfigureAwait(false);
