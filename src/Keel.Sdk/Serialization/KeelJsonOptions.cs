using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Keel.Sdk;

/// <summary>
/// How an endpoint turns handler inputs, outputs, state, run results, promises and awakeable values into
/// JSON. One instance per endpoint (no global static): register it with the host, change it before the
/// endpoint starts; it is frozen on first use.
/// <para>
/// Defaults match what Restate's other SDKs put on the wire: camelCase property names, case-insensitive
/// reading, numbers as JSON numbers, enums as their names (strings), nulls written.
/// </para>
/// </summary>
public sealed class KeelJsonOptions
{
    private bool _frozen;

    /// <summary>The defaults: <see cref="JsonSerializerDefaults.Web"/> (camelCase, case-insensitive reads).</summary>
    public KeelJsonOptions()
    {
        JsonSerializerOptions = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        JsonSerializerOptions.Converters.Add(new JsonStringEnumConverter());
        if (JsonSerializer.IsReflectionEnabledByDefault)
        {
            // Reflection stays the fallback; contexts added with AddContext are asked first.
#pragma warning disable IL2026, IL3050 // Only reached when reflection-based serialization is enabled.
            JsonSerializerOptions.TypeInfoResolverChain.Add(new DefaultJsonTypeInfoResolver());
#pragma warning restore IL2026, IL3050
        }
    }

    /// <summary>The System.Text.Json options used for every payload; edit them before the endpoint starts.</summary>
    public JsonSerializerOptions JsonSerializerOptions { get; }

    /// <summary>Changes the options (<c>o =&gt; o.PropertyNamingPolicy = null</c> keeps C# names).</summary>
    public KeelJsonOptions Configure(Action<JsonSerializerOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        ThrowIfFrozen();
        configure(JsonSerializerOptions);
        return this;
    }

    /// <summary>
    /// Puts a source-generated <see cref="JsonSerializerContext"/> first in the resolver chain, for trimmed
    /// and native AOT apps: its types serialize without reflection. With reflection disabled it is the only
    /// source of metadata, so list every handler input, output and state type in it.
    /// </summary>
    public KeelJsonOptions AddContext(IJsonTypeInfoResolver context)
    {
        ArgumentNullException.ThrowIfNull(context);
        ThrowIfFrozen();
        JsonSerializerOptions.TypeInfoResolverChain.Insert(0, context);
        return this;
    }

    internal JsonSerializerOptions Freeze()
    {
        _frozen = true;
        if (!JsonSerializerOptions.IsReadOnly)
        {
            JsonSerializerOptions.MakeReadOnly();
        }

        return JsonSerializerOptions;
    }

    private void ThrowIfFrozen()
    {
        if (_frozen || JsonSerializerOptions.IsReadOnly)
        {
            throw new InvalidOperationException("The JSON options are already in use by an endpoint; configure them before it starts.");
        }
    }
}
