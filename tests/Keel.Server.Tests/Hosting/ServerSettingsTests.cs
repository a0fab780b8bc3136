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

    [Fact]
    public void Storage_is_rocksdb_by_default_and_postgres_with_a_connection_string()
    {
        Assert.Equal((StorageKind.RocksDb, (string?)null), (ServerSettings.Load([], Env()).Storage, ServerSettings.Load([], Env()).PostgresConnectionString));
        var fromEnv = ServerSettings.Load([], Env(("KEEL_POSTGRES", "Host=db;Database=keel")));
        Assert.Equal((StorageKind.Postgres, "Host=db;Database=keel"), (fromEnv.Storage, fromEnv.PostgresConnectionString));
        var fromFlags = ServerSettings.Load(["--storage", "postgres", "--postgres", "Host=flag"], Env(("KEEL_POSTGRES", "Host=env")));
        Assert.Equal((StorageKind.Postgres, "Host=flag"), (fromFlags.Storage, fromFlags.PostgresConnectionString));
    }

    [Theory]
    [InlineData(new[] { "--storage", "postgres" }, "no connection string")]
    [InlineData(new[] { "--storage", "rocksdb", "--postgres", "Host=db" }, "drop one of them")]
    [InlineData(new[] { "--storage", "sqlite" }, "rocksdb or postgres")]
    public void Contradictory_or_incomplete_storage_settings_are_refused(string[] args, string message)
    {
        var error = Assert.Throws<ArgumentException>(() => ServerSettings.Load(args, Env()));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_rocksdb_block_cache_is_64_MiB_by_default_and_sized_by_flag_environment_or_config_file()
    {
        Assert.Equal(64L << 20, ServerSettings.Load([], Env()).RocksDbBlockCacheBytes);
        Assert.Equal(256L << 20, ServerSettings.Load([], Env(("KEEL_ROCKSDB_BLOCK_CACHE", "256MiB"))).RocksDbBlockCacheBytes);
        Assert.Equal(1L << 30, ServerSettings.Load(["--rocksdb-block-cache", "1GiB"], Env(("KEEL_ROCKSDB_BLOCK_CACHE", "256MiB"))).RocksDbBlockCacheBytes);
        Assert.Equal(8_388_608, ServerSettings.Load(["--rocksdb-block-cache", "8388608"], Env()).RocksDbBlockCacheBytes);
        var config = Path.GetTempFileName();
        try
        {
            File.WriteAllText(config, """{"rocksdbBlockCache": "128m"}""");
            Assert.Equal(128L << 20, ServerSettings.Load(["--config", config], Env()).RocksDbBlockCacheBytes);
        }
        finally
        {
            File.Delete(config);
        }
    }

    [Fact]
    public void The_postgres_owner_cache_is_128_MiB_by_default_can_be_turned_off_and_leases_last_3_s_by_default()
    {
        Assert.Equal(128L << 20, ServerSettings.Load([], Env()).PostgresCacheBytes);
        Assert.Equal(256L << 20, ServerSettings.Load(["--postgres-cache", "256MiB"], Env()).PostgresCacheBytes);
        Assert.Equal(1L << 30, ServerSettings.Load([], Env(("KEEL_POSTGRES_CACHE", "1GiB"))).PostgresCacheBytes);
        Assert.Equal(0, ServerSettings.Load(["--postgres-cache", "0"], Env()).PostgresCacheBytes);
        var error = Assert.Throws<ArgumentException>(() => ServerSettings.Load(["--postgres-cache", "lots"], Env()));
        Assert.Contains("'postgresCache'", error.Message, StringComparison.Ordinal);
        Assert.Equal(TimeSpan.FromSeconds(3), ServerSettings.Load([], Env()).LeaseTime);
    }

    [Theory]
    [InlineData("lots")]
    [InlineData("0")]
    [InlineData("-64MiB")]
    [InlineData("64 TB")]
    [InlineData("99999999999GiB")]
    public void A_block_cache_that_is_not_a_positive_size_is_refused_with_a_message_naming_the_setting(string value)
    {
        var error = Assert.Throws<ArgumentException>(() => ServerSettings.Load(["--rocksdb-block-cache", value], Env()));
        Assert.Equal($"'rocksdbBlockCache' must be a size such as 64MiB or 1GiB, got '{value}'.", error.Message);
    }
}
