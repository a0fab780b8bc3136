using Keel.Server.Hosting;

namespace Keel.Server.Tests.Hosting;

public class TelemetrySettingsTests
{
    private static Func<string, string?> Env(params (string Name, string Value)[] values) =>
        name => values.FirstOrDefault(v => v.Name == name).Value;

    [Fact]
    public void Otlp_is_off_and_logs_are_text_by_default()
    {
        var settings = ServerSettings.Load([], Env());
        Assert.Null(settings.OtlpEndpoint);
        Assert.Equal("text", settings.LogFormat);
    }

    [Fact]
    public void The_otlp_endpoint_comes_from_the_flag_then_keel_then_the_standard_environment_variable()
    {
        Assert.Equal(new Uri("http://collector:4317"), ServerSettings.Load([], Env(("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317"))).OtlpEndpoint);
        Assert.Equal(new Uri("http://keel:4317"), ServerSettings.Load([], Env(("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317"), ("KEEL_OTLP_ENDPOINT", "http://keel:4317"))).OtlpEndpoint);
        Assert.Equal(new Uri("https://flag:4318"), ServerSettings.Load(["--otlp-endpoint", "https://flag:4318"], Env(("KEEL_OTLP_ENDPOINT", "http://keel:4317"))).OtlpEndpoint);
    }

    [Fact]
    public void The_otlp_protocol_is_grpc_unless_http_protobuf_is_asked_for()
    {
        Assert.Equal("grpc", ServerSettings.Load([], Env()).OtlpProtocol);
        Assert.Equal("http/protobuf", ServerSettings.Load([], Env(("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"))).OtlpProtocol);
        Assert.Equal("grpc", ServerSettings.Load(["--otlp-protocol", "grpc"], Env(("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"))).OtlpProtocol);
    }

    [Fact]
    public void Json_logs_are_chosen_by_flag_or_environment()
    {
        Assert.Equal("json", ServerSettings.Load(["--log-format", "json"], Env()).LogFormat);
        Assert.Equal("json", ServerSettings.Load([], Env(("KEEL_LOG_FORMAT", "json"))).LogFormat);
    }

    [Theory]
    [InlineData("--otlp-endpoint", "collector:4317")]
    [InlineData("--otlp-endpoint", "ftp://collector")]
    [InlineData("--log-format", "xml")]
    [InlineData("--otlp-protocol", "http/json")]
    public void Malformed_telemetry_settings_are_refused_with_a_message_naming_the_value(string flag, string value)
    {
        var error = Assert.Throws<ArgumentException>(() => ServerSettings.Load([flag, value], Env()));
        Assert.Contains(value, error.Message, StringComparison.Ordinal);
    }
}
