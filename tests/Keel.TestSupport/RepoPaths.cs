namespace Keel.TestSupport;

/// <summary>Locations inside the repository, found from the running test assembly.</summary>
public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    public static string OraclesModules => Path.Combine(Root, "tests", "oracles", "node_modules");

    public static string RestateServerBinary => RequireOracle(Path.Combine(OraclesModules, "@restatedev", "restate-server-linux-x64", "bin", "restate-server"));

    public static string RestateCliBinary => RequireOracle(Path.Combine(OraclesModules, "@restatedev", "restate-linux-x64", "bin", "restate"));

    private static string RequireOracle(string path) => File.Exists(path)
        ? path
        : throw new FileNotFoundException($"{path} is missing: install the test oracles with 'npm ci --ignore-scripts --prefix tests/oracles' (scripts/test does it).");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Keel.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("Cannot find the repository root (Keel.slnx) above " + AppContext.BaseDirectory);
    }
}
