using System.Net;
using System.Net.Sockets;
using Keel.Sdk;
using Microsoft.Extensions.DependencyInjection;

namespace Keel.Testing.Tests;

/// <summary>The environment's life cycle and isolation: state, errors, disposal, parallel environments.</summary>
public sealed class EnvironmentTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task An_objects_state_is_readable_through_the_client()
    {
        await using var env = await KeelTestEnvironment.StartAsync(k => k.AddService<Notebook>());
        var notebook = env.Client.Object<NotebookIngressClient>("todo");

        await notebook.WriteAsync("milk");
        await notebook.WriteAsync("bread");

        Assert.Equal(["milk", "bread"], await notebook.ReadAsync());
    }

    [Fact]
    public async Task A_terminal_exception_in_a_handler_surfaces_through_the_client()
    {
        await using var env = await KeelTestEnvironment.StartAsync(k => k.AddService<Grumpy>());

        var error = await Assert.ThrowsAsync<TerminalException>(() => env.Client.Service<GrumpyIngressClient>().GreetAsync("Bob").WaitAsync(Patience));

        Assert.Equal(418, error.Code);
        Assert.Contains("go away, Bob", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_retryable_failure_is_retried_after_its_backoff_until_the_handler_succeeds()
    {
        await using var env = await KeelTestEnvironment.StartAsync(new KeelTestEnvironmentOptions
        {
            ConfigureKeel = k => k.AddService<Flaky>(),
            ConfigureServices = services => services.AddSingleton<AttemptCounter>(),
            FailOnFirstAttemptError = false,
        });

        var greeting = await env.Client.Service<FlakyIngressClient>().GreetAsync("Eve").WaitAsync(Patience);

        Assert.Equal("hello Eve", greeting);
        Assert.Equal(3, env.Services.GetRequiredService<AttemptCounter>().Count);
    }

    [Fact]
    public async Task Disposing_deletes_the_data_directory_and_frees_the_ports()
    {
        var env = await KeelTestEnvironment.StartAsync(k => k.AddService<Notebook>());
        var directory = env.DataDirectory;
        int[] ports = [env.IngressUrl.Port, env.AdminUrl.Port, env.EndpointUrl.Port];
        await env.Client.Object<NotebookIngressClient>("x").WriteAsync("something stored");
        Assert.True(Directory.Exists(directory));

        await env.DisposeAsync();

        Assert.False(Directory.Exists(directory));
        foreach (var port in ports)
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
        }
    }

    [Fact]
    public async Task Two_environments_in_parallel_have_their_own_storage_ports_and_clock()
    {
        var starting = new[] { Start(), Start() };
        await using var first = await starting[0];
        await using var second = await starting[1];
        Assert.NotEqual(first.DataDirectory, second.DataDirectory);
        Assert.Empty(new[] { first.IngressUrl.Port, first.AdminUrl.Port, first.EndpointUrl.Port }
            .Intersect([second.IngressUrl.Port, second.AdminUrl.Port, second.EndpointUrl.Port]));

        await first.Client.Object<NotebookIngressClient>("shared").WriteAsync("only in the first");
        var sleeping = await first.Client.Workflow<HibernateIngressClient>("bear").RunAsync("Bruno").WaitAsync(Patience);

        Assert.Equal("Bruno woke up", sleeping);
        Assert.Empty(await second.Client.Object<NotebookIngressClient>("shared").ReadAsync());
        Assert.True(first.Time.Skipped > TimeSpan.FromHours(23));
        Assert.Equal(TimeSpan.Zero, second.Time.Skipped);

        static Task<KeelTestEnvironment> Start() => KeelTestEnvironment.StartAsync(k => k.AddService<Notebook>().AddService<Hibernate>());
    }

    [Fact]
    public async Task Services_get_their_dependencies_from_the_configured_container()
    {
        await using var env = await KeelTestEnvironment.StartAsync(new KeelTestEnvironmentOptions
        {
            ConfigureKeel = k => k.AddService<Concierge>(),
            ConfigureServices = services => services.AddSingleton(new Salutation("Good evening")),
        });

        Assert.Equal("Good evening, Ada", await env.Client.Service<ConciergeIngressClient>().GreetAsync("Ada"));
    }
}

public sealed record Salutation(string Words);

[Service]
public sealed class Concierge(Salutation salutation)
{
    [Handler]
    public Task<string> Greet(IContext ctx, string name) => Task.FromResult($"{salutation.Words}, {name}");
}
