using System.Text.RegularExpressions;
using Keel.TestSupport;

namespace Keel.Packaging.Tests;

/// <summary>
/// One pack for the whole class, done as the README says: <c>dotnet pack Keel.slnx -c Release -o
/// &lt;folder&gt;</c>, at the repository's own (stable) version, so a pack that only fails for a stable
/// version (a prerelease dependency, NU5104) fails here too. Then, as docs/packages.md says: the
/// template installed from that folder (into a private template hive: the machine's template list is
/// untouched), <c>dotnet new keel-service -n Shop</c>, a nuget.config next to it made with
/// <c>dotnet new nugetconfig</c> and <c>dotnet nuget add source &lt;folder&gt;</c>, and a build.
/// Everything after the pack restores into a NuGet package folder of this run (NUGET_PACKAGES): the
/// version is the same on every run, and the machine's cache would serve an earlier run's packages.
/// </summary>
public sealed class PackedFeed : IAsyncLifetime
{
    private static readonly TimeSpan Step = TimeSpan.FromMinutes(4);

    /// <summary>The pack builds the solution first (the README's command has no --no-build): a cold build takes longer than a step.</summary>
    private static readonly TimeSpan Pack = TimeSpan.FromMinutes(15);

    public string Root { get; } = Directory.CreateTempSubdirectory("keel-packaging-").FullName;

    /// <summary>The one version of every package when none is given: VersionPrefix in Directory.Build.props.</summary>
    public string Version { get; } = DefaultVersion();

    public string Feed => Path.Combine(Root, "feed");

    public string Hive => Path.Combine(Root, "hive");

    public string Work => Path.Combine(Root, "work");

    /// <summary>Where the work folder's restores put packages, instead of the machine's NuGet cache.</summary>
    public string NuGetPackages => Path.Combine(Root, "packages");

    /// <summary>The generated service's project folder.</summary>
    public string Shop => Path.Combine(Work, "Shop");

    /// <summary>The output of building the generated service.</summary>
    public string ShopBuild { get; private set; } = "";

    public string Package(string id) => Path.Combine(Feed, $"{id}.{Version}.nupkg");

    /// <summary>The environment of every command run on the generated projects.</summary>
    public IReadOnlyDictionary<string, string> WorkEnvironment => new Dictionary<string, string> { ["NUGET_PACKAGES"] = NuGetPackages };

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Feed);
        Directory.CreateDirectory(Hive);
        Directory.CreateDirectory(Work);

        // The README's command, word for word but for the folder.
        (await Dotnet.RunAsync(RepoPaths.Root, Pack, "pack", "Keel.slnx", "-c", "Release", "-o", Feed)).Check("dotnet pack");

        (await Dotnet.RunAsync(Work, Step, WorkEnvironment, "new", "install", Package("Keel.Templates"), "--debug:custom-hive", Hive)).Check("dotnet new install");
        (await Dotnet.RunAsync(Work, Step, WorkEnvironment, "new", "keel-service", "-n", "Shop", "--debug:custom-hive", Hive)).Check("dotnet new keel-service");
        await AddNuGetConfigAsync(Shop);
        ShopBuild = (await Dotnet.RunAsync(Shop, Step, WorkEnvironment, "build", "-c", "Release")).Check("building the generated service").Output;
    }

    /// <summary>docs/packages.md's nuget.config: nuget.org and the local folder, for this project only (no user-wide source).</summary>
    public async Task AddNuGetConfigAsync(string directory)
    {
        (await Dotnet.RunAsync(directory, Step, WorkEnvironment, "new", "nugetconfig", "--debug:custom-hive", Hive)).Check("dotnet new nugetconfig");
        (await Dotnet.RunAsync(directory, Step, WorkEnvironment, "nuget", "add", "source", Feed, "-n", "keel-local", "--configfile", "nuget.config")).Check("dotnet nuget add source");
    }

    public Task DisposeAsync()
    {
        try
        {
            Directory.Delete(Root, recursive: true);   // the feed, the hive, the projects and the packages they restored
        }
        catch (IOException)
        {
            // Best effort.
        }

        return Task.CompletedTask;
    }

    private static string DefaultVersion()
    {
        var props = File.ReadAllText(Path.Combine(RepoPaths.Root, "Directory.Build.props"));
        var match = Regex.Match(props, "<VersionPrefix>([^<]+)</VersionPrefix>");
        return match.Success ? match.Groups[1].Value.Trim() : throw new InvalidOperationException("Directory.Build.props has no VersionPrefix.");
    }
}
