using System.Text.Json;
using Keel.Chaos.History;

namespace Keel.Chaos.Workloads;

/// <summary>How one call through the ingress ended, classified for the history; <see cref="Body"/> only when ok.</summary>
public sealed record CallOutcome(OpKind Kind, JsonElement? Body, string? Error);
