using Keel.Server.Hosting;

namespace Keel.Server.Tests.Hosting;

public class ServerSettingsTests
{
    private static Func<string, string?> Env(params (string Name, string Value)[] values) =>
        name => values.FirstOrDefault(v => v.Name == name).Value;

    [Fact]
    public void Defaults_keep_completed_invocations_a_day_and_clean_up_every_minute()
    {
        var settings = ServerSettings.Load([], Env());
        Assert.Equal((TimeSpan.FromHours(24), TimeSpan.FromMinutes(1)), (settings.DefaultRetention, settings.CleanupInterval));
    }

    [Fact]
    public void Retention_and_cleanup_interval_come_from_flags_over_the_environment()
    {
        var settings = ServerSettings.Load(["--default-retention", "1d 12h", "--default-journal-retention", "0"], Env(("KEEL_DEFAULT_RETENTION", "5m"), ("KEEL_CLEANUP_INTERVAL", "10s")));
        Assert.Equal((TimeSpan.FromHours(36), TimeSpan.FromSeconds(10), TimeSpan.Zero), (settings.DefaultRetention, settings.CleanupInterval, settings.DefaultJournalRetention));
    }

    [Theory]
    [InlineData("--default-retention", "soon")]
    [InlineData("--cleanup-interval", "0s")]
    [InlineData("--partitions", "-1")]
    public void Malformed_values_are_refused_with_a_message_naming_the_setting(string flag, string value)
    {
        var error = Assert.Throws<ArgumentException>(() => ServerSettings.Load([flag, value], Env()));
        Assert.Contains(value, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Request_identity_key_file_comes_from_the_flag_or_the_environment_and_is_off_by_default()
    {
        Assert.Null(ServerSettings.Load([], Env()).RequestIdentityPrivateKeyPemFile);
        Assert.Equal("/keys/env.pem", ServerSettings.Load([], Env(("KEEL_REQUEST_IDENTITY_PRIVATE_KEY_PEM_FILE", "/keys/env.pem"))).RequestIdentityPrivateKeyPemFile);
        Assert.Equal("/keys/flag.pem", ServerSettings.Load(["--request-identity-private-key-pem-file", "/keys/flag.pem"], Env(("KEEL_REQUEST_IDENTITY_PRIVATE_KEY_PEM_FILE", "/keys/env.pem"))).RequestIdentityPrivateKeyPemFile);
    }
}
