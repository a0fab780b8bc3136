using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using Keel.Client;
using Keel.Sdk;
using Keel.TestSupport;

namespace Keel.Packaging.Tests;

/// <summary>
/// The README's path, done as a new user would and without this repository's projects: the template
/// from the packed Keel.Templates, the service built against the packed packages, run next to the
/// Keel server, registering itself, called through Keel.Client.
/// </summary>
public sealed class PackagingTests(PackedFeed feed) : IClassFixture<PackedFeed>
{
    /// <summary>The packages a user installs or references; each must be in the feed.</summary>
    public static readonly string[] Packages =
    [
        "Keel.Sdk", "Keel.Sdk.AspNetCore", "Keel.Client", "Keel.Templates", "keel", "Keel.Server.Tool",
        "Keel.Protocol", "Keel.Sdk.Core", "Keel.Server", "Keel.Server.Core", "Keel.Server.Postgres", "Keel.Testing",
        "Keel.Server.Storage.RocksDb", "Keel.Server.Invoker", "Keel.Server.Ingress", "Keel.Server.Admin", "Keel.Server.Query",
        "Keel.Server.Cluster", "Keel.Server.Full",
    ];

    [Fact]
    public void Packages_carry_the_analyzers_the_tool_settings_and_shared_metadata()
    {
        // The README's pack makes the repository's own version, a stable one (NuGet holds stable packages to stricter rules).
        Assert.DoesNotContain('-', feed.Version);
        foreach (var id in Packages)
        {
            Assert.True(File.Exists(feed.Package(id)), $"{id} {feed.Version} was not packed; the feed has: {string.Join(", ", Directory.GetFiles(feed.Feed).Select(Path.GetFileName))}");
            var nuspec = Entry(id, $"{id}.nuspec");
            Assert.Contains("<authors>Keel contributors</authors>", nuspec, StringComparison.Ordinal);
            Assert.Contains("<license type=\"expression\">MIT</license>", nuspec, StringComparison.Ordinal);
            Assert.Contains("<readme>README.md</readme>", nuspec, StringComparison.Ordinal);
        }

        // The generator, analyzers and code fixes ship inside Keel.Sdk; no other package is needed for them.
        var sdk = Entries("Keel.Sdk");
        Assert.Contains("analyzers/dotnet/cs/Keel.Sdk.Generators.dll", sdk);
        Assert.Contains("analyzers/dotnet/cs/Keel.Sdk.CodeFixes.dll", sdk);
        Assert.Contains("lib/net10.0/Keel.Sdk.xml", sdk);
        Assert.DoesNotContain("Keel.Sdk.Generators", Entry("Keel.Sdk", "Keel.Sdk.nuspec"), StringComparison.Ordinal);
        // ...and flow to users of Keel.Sdk.AspNetCore and Keel.Client (no exclude="Analyzers" on the dependency).
        Assert.Contains($"<dependency id=\"Keel.Sdk\" version=\"{feed.Version}\" include=\"All\" />", Entry("Keel.Sdk.AspNetCore", "Keel.Sdk.AspNetCore.nuspec"), StringComparison.Ordinal);
        Assert.Contains($"<dependency id=\"Keel.Sdk\" version=\"{feed.Version}\" include=\"All\" />", Entry("Keel.Client", "Keel.Client.nuspec"), StringComparison.Ordinal);

        Assert.Contains("<Command Name=\"keel\" EntryPoint=\"keel.dll\"", Entry("keel", "tools/net10.0/any/DotnetToolSettings.xml"), StringComparison.Ordinal);
        Assert.Contains("<Command Name=\"keel-server\" EntryPoint=\"keel-server.dll\"", Entry("Keel.Server.Tool", "tools/net10.0/any/DotnetToolSettings.xml"), StringComparison.Ordinal);

        // The template asks for the packages of its own release.
        Assert.Contains($"<PackageReference Include=\"Keel.Sdk.AspNetCore\" Version=\"{feed.Version}\" />", Entry("Keel.Templates", "content/templates/keel-service/KeelService.csproj"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_new_service_from_the_template_builds_registers_itself_with_the_server_and_answers_through_KeelClient()
    {
        // Built from the packages only, without a compiler or analyzer warning (an analyzer that failed to load would warn).
        Assert.Contains("Build succeeded", feed.ShopBuild, StringComparison.Ordinal);
        Assert.DoesNotMatch(@"warning (CS|KEEL|RS|AD)\d+", feed.ShopBuild);
        var assets = File.ReadAllText(Path.Combine(feed.Shop, "obj", "project.assets.json"));
        Assert.Contains($"\"Keel.Sdk/{feed.Version}\"", assets, StringComparison.Ordinal);

        await using var server = await KeelServerProcess.StartAsync();
        var port = FreePort.Next();
        var log = Path.Combine(feed.Root, "shop.log");
        // dotnet run with the template's launch profile, its port and admin URL overridden as Program.cs
        // documents (-e wins over the profile; a variable of the shell would not).
        var start = new ProcessStartInfo("dotnet", ["run", "-c", "Release", "--no-build", "-e", $"PORT={port.ToString(CultureInfo.InvariantCulture)}", "-e", $"KEEL_ADMIN_URL={server.AdminUrl}"]) { WorkingDirectory = feed.Shop };
        Dotnet.Prepare(start.Environment);
        foreach (var (name, value) in feed.WorkEnvironment)
        {
            start.Environment[name] = value;
        }

        using var shop = ProcessLogs.Start(start, log);
        try
        {
            // No registration step here: the service registers itself (KEEL_ADMIN_URL) once it listens.
            using var admin = new HttpClient { BaseAddress = server.AdminUrl };
            await Eventually.UntilAsync(
                async () => shop.HasExited ? throw new InvalidOperationException($"the service exited:\n{ProcessLogs.Tail(log)}")
                    : (await admin.GetStringAsync("/deployments")).Contains($"127.0.0.1:{port}", StringComparison.Ordinal),
                TimeSpan.FromSeconds(60),
                $"the generated service registered itself with the server\n{ProcessLogs.Tail(log)}");

            using var http = new HttpClient();
            var keel = new KeelClient(http, new KeelClientOptions { IngressUrl = server.IngressUrl });
            Assert.Equal(2, await keel.CallAsync<long>(Target.Object("Counter", "mary", "add"), 2));
            Assert.Equal(5, await keel.CallAsync<long>(Target.Object("Counter", "mary", "add"), 3));
            Assert.Equal(5, await keel.CallAsync<long>(Target.Object("Counter", "mary", "get")));
            Assert.Equal(0, await keel.CallAsync<long>(Target.Object("Counter", "bob", "get")));
        }
        finally
        {
            if (!shop.HasExited)
            {
                shop.Kill(entireProcessTree: true);
                await shop.WaitForExitAsync();
            }
        }
    }

    [Fact]
    public async Task The_packaged_generator_and_analyzers_run_in_a_project_made_from_the_template()
    {
        // A second project from the template, with one wrong handler and a use of the generated clients.
        (await Dotnet.RunAsync(feed.Work, TimeSpan.FromMinutes(2), feed.WorkEnvironment, "new", "keel-service", "-n", "Checks", "--debug:custom-hive", feed.Hive)).Check("dotnet new keel-service");
        var checks = Path.Combine(feed.Work, "Checks");
        await feed.AddNuGetConfigAsync(checks);
        await File.WriteAllTextAsync(Path.Combine(checks, "Wrong.cs"), """
            using Keel.Sdk;

            namespace Checks;

            // Compiles only when the source generator ran: it writes these clients for Counter.
            public static class UsesGeneratedClients
            {
                public static readonly Type[] Types = [typeof(CounterClient), typeof(CounterIngressClient)];
            }

            [Service]
            public sealed class Wrong
            {
                // Not awaitable: the analyzer reports KEEL002 at compile time.
                [Handler]
                public string Greet(IContext ctx, string name) => name;

                // Resumes off the invocation's pump: a warning of the analyzer, an error in the template's project.
                [Handler]
                public async Task<string> Wait(IContext ctx, string name)
                {
                    await Task.CompletedTask.ConfigureAwait(false);
                    await ctx.NowAsync();
                    return name;
                }
            }
            """);

        var build = await Dotnet.RunAsync(checks, TimeSpan.FromMinutes(3), feed.WorkEnvironment, "build", "-c", "Release");

        Assert.NotEqual(0, build.ExitCode);
        Assert.Contains("error KEEL002", build.Output, StringComparison.Ordinal);
        Assert.Contains("error KEEL019", build.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("CS0246", build.Output, StringComparison.Ordinal);   // the generated client types exist
    }

    [Fact]
    public async Task A_test_project_with_Keel_Testing_tests_the_template_service_and_services_of_its_own()
    {
        // docs/testing.md's set-up: the package and a reference to the service project, no generator reference.
        (await Dotnet.RunAsync(feed.Work, TimeSpan.FromMinutes(2), feed.WorkEnvironment, "new", "xunit", "-n", "Shop.Tests", "--debug:custom-hive", feed.Hive)).Check("dotnet new xunit");
        var tests = Path.Combine(feed.Work, "Shop.Tests");
        await feed.AddNuGetConfigAsync(tests);
        (await Dotnet.RunAsync(tests, TimeSpan.FromMinutes(4), feed.WorkEnvironment, "add", "package", "Keel.Testing", "--version", feed.Version)).Check("dotnet add package Keel.Testing");
        (await Dotnet.RunAsync(tests, TimeSpan.FromMinutes(2), feed.WorkEnvironment, "add", "reference", Path.Combine("..", "Shop", "Shop.csproj"))).Check("dotnet add reference");
        File.Delete(Path.Combine(tests, "UnitTest1.cs"));
        await File.WriteAllTextAsync(Path.Combine(tests, "ShopTests.cs"), """
            using Keel.Sdk;
            using Keel.Testing;
            using Shop;

            namespace Shop.Tests;

            // Declared here: its ingress client must come from the generator Keel.Testing brings.
            [Workflow]
            public sealed class Hibernate
            {
                [Handler]
                public async Task<string> Run(IWorkflowContext ctx, string name)
                {
                    await ctx.SleepAsync(TimeSpan.FromDays(1));
                    return $"{name} woke up";
                }
            }

            public class ShopTests
            {
                [Fact]
                public async Task The_template_counter_adds()
                {
                    await using var env = await KeelTestEnvironment.StartAsync(k => k.AddService<Counter>());
                    var counter = env.Client.Object<CounterIngressClient>("mary");
                    Assert.Equal(2, await counter.AddAsync(2));
                    Assert.Equal(5, await counter.AddAsync(3));
                }

                [Fact]
                public async Task A_day_of_sleep_takes_no_time()
                {
                    await using var env = await KeelTestEnvironment.StartAsync(k => k.AddService<Hibernate>());
                    Assert.Equal("Bruno woke up", await env.Client.Workflow<HibernateIngressClient>("bear").RunAsync("Bruno"));
                }
            }
            """);

        var run = await Dotnet.RunAsync(tests, TimeSpan.FromMinutes(6), feed.WorkEnvironment, "test", "-c", "Release");

        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Contains("Passed:     2", run.Output, StringComparison.Ordinal);
        Assert.Contains("Failed:     0", run.Output, StringComparison.Ordinal);
    }

    private string[] Entries(string id)
    {
        using var zip = ZipFile.OpenRead(feed.Package(id));
        return [.. zip.Entries.Select(e => e.FullName)];
    }

    private string Entry(string id, string path)
    {
        using var zip = ZipFile.OpenRead(feed.Package(id));
        var entry = zip.GetEntry(path) ?? throw new InvalidOperationException($"{id} has no {path}; it has: {string.Join(", ", zip.Entries.Select(e => e.FullName))}");
        using var reader = new StreamReader(entry.Open());
        return reader.ReadToEnd();
    }
}
