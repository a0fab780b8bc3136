using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using Apache.Arrow;
using Apache.Arrow.Ipc;
using Keel.Server.Query;

namespace Keel.Server.Tests.Query;

/// <summary>An engine over <see cref="TestData"/>, with helpers that run SQL and read back both output formats.</summary>
internal sealed class QueryFixture : IDisposable
{
    public QueryFixture(TestData? data = null, QueryEngineOptions? options = null, Func<IReadOnlyList<DeadlockRow>>? deadlocks = null)
    {
        Data = data ?? new TestData();
        Engine = new QueryEngine(OpenSnapshot, () => Data.Services, () => Data.Deployments, options, deadlocks);
    }

    public TestData Data { get; }

    public QueryEngine Engine { get; }

    /// <summary>Every snapshot the engine opened, in order.</summary>
    public List<FakeSnapshot> Snapshots { get; } = [];

    /// <summary>The JSON body exactly as the endpoint would write it.</summary>
    public async Task<string> JsonText(string sql)
    {
        using var result = await Engine.ExecuteAsync(sql, CancellationToken.None);
        using var buffer = new MemoryStream();
        var pipe = PipeWriter.Create(buffer);
        await JsonResultWriter.WriteAsync(result, pipe, CancellationToken.None);
        await pipe.CompleteAsync();
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>The rows of the JSON output.</summary>
    public async Task<JsonElement[]> JsonRows(string sql)
    {
        using var document = JsonDocument.Parse(await JsonText(sql));
        return [.. document.RootElement.GetProperty("rows").EnumerateArray().Select(r => r.Clone())];
    }

    /// <summary>The Arrow IPC stream the endpoint would write, read back with Arrow's stream reader.</summary>
    public async Task<(Schema Schema, List<RecordBatch> Batches)> Arrow(string sql)
    {
        using var result = await Engine.ExecuteAsync(sql, CancellationToken.None);
        using var buffer = new MemoryStream();
        await ArrowResultWriter.WriteAsync(result, buffer, CancellationToken.None);
        return ReadArrow(buffer.ToArray());
    }

    /// <summary>What the CLI's count queries read: column 0 of batch 0 as Int64 (0 without rows).</summary>
    public async Task<long> Count(string sql)
    {
        var (schema, batches) = await Arrow(sql);
        Assert.IsType<Apache.Arrow.Types.Int64Type>(schema.GetFieldByIndex(0).DataType);
        return batches.Count == 0 || batches[0].Length == 0 ? 0 : ((Int64Array)batches[0].Column(0)).GetValue(0)!.Value;
    }

    public static (Schema Schema, List<RecordBatch> Batches) ReadArrow(byte[] stream)
    {
        using var reader = new ArrowStreamReader(new MemoryStream(stream));
        var batches = new List<RecordBatch>();
        while (reader.ReadNextRecordBatch() is { } batch)
        {
            batches.Add(batch);
        }

        return (reader.Schema, batches);
    }

    public void Dispose() => Engine.Dispose();

    private FakeSnapshot OpenSnapshot()
    {
        var snapshot = new FakeSnapshot(Data);
        lock (Snapshots)
        {
            Snapshots.Add(snapshot);
        }

        return snapshot;
    }
}
