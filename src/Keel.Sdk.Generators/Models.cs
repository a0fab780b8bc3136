using System;
using System.Collections;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace Keel.Sdk.Generators
{
    /// <summary>What the generator needs to know about one service class (value-equal, so the pipeline caches).</summary>
    internal sealed record ServiceModel(
        string? Namespace,
        string ClassName,
        string ServiceName,
        string Kind,
        bool IsPublic,
        EquatableArray<HandlerModel> Handlers,
        EquatableArray<DiagnosticModel> Diagnostics);

    /// <summary>InputType and OutputType are fully qualified type names, null when absent.</summary>
    internal sealed record HandlerModel(string MethodName, string WireName, string? InputType, string? OutputType);

    internal sealed record DiagnosticModel(string Id, string Message, LocationModel? Location);

    /// <summary>A location without references to syntax trees, so models stay cacheable.</summary>
    internal sealed record LocationModel(string FilePath, Microsoft.CodeAnalysis.Text.TextSpan Span, Microsoft.CodeAnalysis.Text.LinePositionSpan LineSpan)
    {
        public Location ToLocation() => Location.Create(FilePath, Span, LineSpan);

        public static LocationModel? From(Location? location) =>
            location is null || location.SourceTree is null ? null : new LocationModel(location.SourceTree.FilePath, location.SourceSpan, location.GetLineSpan().Span);
    }

    /// <summary>An immutable array with value equality.</summary>
    internal readonly struct EquatableArray<T> : IEquatable<EquatableArray<T>>, IEnumerable<T>
        where T : IEquatable<T>
    {
        private readonly ImmutableArray<T> _items;

        public EquatableArray(ImmutableArray<T> items) => _items = items;

        public ImmutableArray<T> Items => _items.IsDefault ? ImmutableArray<T>.Empty : _items;

        public bool Equals(EquatableArray<T> other) => Items.SequenceEqual(other.Items);

        public override bool Equals(object? obj) => obj is EquatableArray<T> other && Equals(other);

        public override int GetHashCode() => Items.Aggregate(17, (h, i) => (h * 31) + i.GetHashCode());

        public IEnumerator<T> GetEnumerator() => ((IEnumerable<T>)Items).GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
