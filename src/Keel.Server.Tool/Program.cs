using Keel.Server.Hosting;

return await FullServer.RunAsync(args).ConfigureAwait(false);
