using System.Globalization;
using Keel.TestSupport;

namespace Keel.Packaging.Tests;

/// <summary>
/// One pack for the whole class: every packable project of the solution (all of src/) packed with a
/// version unique to this run into a temp folder feed, so the machine's NuGet cache can never serve
/// a package from an earlier run; the template installed from that feed into a private template hive
/// (the machine's template list is untouched); <c>dotnet new keel-service -n Shop</c> generated and
/// built in a temp folder whose nuget.config has only the feed and nuget.org.
/// </summary>
public sealed class PackedFeed : IAsyncLifetime
{
    private static readonly TimeSpan Step = TimeSpan.FromMinutes(4);

    public string Root { get; } = Directory.CreateTempSubdirectory("keel-packaging-").FullName;

    public string Version { get; } = "0.1.0-test." + DateTime.UtcNow.ToString("yyyyMMddHHmmss", CultureInfo.InvariantCulture) + "." + Environment.ProcessId.ToString(CultureInfo.InvariantCulture);

    public string Feed => Path.Combine(Root, "feed");

    public string Hive => Path.Combine(Root, "hive");

    public string Work => Path.Combine(Root, "work");

    /// <summary>The generated service's project folder.</summary>
    public string Shop => Path.Combine(Work, "Shop");

    /// <summary>The output of building the generated service.</summary>
    public string ShopBuild { get; private set; } = "";

    public static string Configuration => Path.GetFileName(Path.GetDirectoryName(AppContext.BaseDirectory.TrimEnd('/'))!);

    public string Package(string id) => Path.Combine(Feed, $"{id}.{Version}.nupkg");

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Feed);
        Directory.CreateDirectory(Hive);
        Directory.CreateDirectory(Work);

        // --no-build: the solution is built already (scripts/test builds it first); -p:Version stamps
        // the packages and their dependencies on each other.
        (await Dotnet.RunAsync(RepoPaths.Root, Step, "pack", "Keel.slnx", "-c", Configuration, "--no-build", "-o", Feed, $"-p:Version={Version}")).Check("dotnet pack");

        (await Dotnet.RunAsync(Work, Step, "new", "install", Package("Keel.Templates"), "--debug:custom-hive", Hive)).Check("dotnet new install");
        (await Dotnet.RunAsync(Work, Step, "new", "keel-service", "-n", "Shop", "--debug:custom-hive", Hive)).Check("dotnet new keel-service");
        WriteNuGetConfig(Shop);
        ShopBuild = (await Dotnet.RunAsync(Shop, Step, "build", "-c", "Release")).Check("building the generated service").Output;
    }

    /// <summary>The local feed first, then nuget.org for everything else (as a user's machine reaches it).</summary>
    public void WriteNuGetConfig(string directory) => File.WriteAllText(Path.Combine(directory, "nuget.config"), $"""
        <?xml version="1.0" encoding="utf-8"?>
        <configuration>
          <packageSources>
            <clear />
            <add key="keel-local" value="{Feed}" />
            <add key="nuget.org" value="https://api.nuget.org/v3/index.json" protocolVersion="3" />
          </packageSources>
        </configuration>
        """);

    public Task DisposeAsync()
    {
        // The run's packages as restored into the machine's NuGet cache: unique to this run, never used again.
        var cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } custom ? custom
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var restored = Directory.GetFiles(Feed, "*.nupkg")
            .Select(p => Path.GetFileName(p)[..^$".{Version}.nupkg".Length].ToLowerInvariant())
            .Select(id => Path.Combine(cache, id, Version.ToLowerInvariant()));
        foreach (var directory in restored.Append(Root))
        {
            try
            {
                if (Directory.Exists(directory))
                {
                    Directory.Delete(directory, recursive: true);
                }
            }
            catch (IOException)
            {
                // Best effort.
            }
        }

        return Task.CompletedTask;
    }
}
