using System.Text.Json;
using System.Text.Json.Serialization;

namespace Keel.Chaos.History;

/// <summary>Writes a history as JSON, one entry per line, to read (or grep) after a failed run.</summary>
public static class HistoryJson
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    /// <summary>One JSON object per entry (JSON Lines): index, process, kind, f, key, value, time (ns), error.</summary>
    public static string ToJsonLines(IEnumerable<Op> ops)
    {
        ArgumentNullException.ThrowIfNull(ops);
        return string.Join('\n', ops.Select(op => JsonSerializer.Serialize(op, Options))) + "\n";
    }

    public static async Task WriteAsync(string path, IEnumerable<Op> ops) => await File.WriteAllTextAsync(path, ToJsonLines(ops));
}
