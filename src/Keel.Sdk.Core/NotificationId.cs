namespace Keel.Sdk.Core;

/// <summary>What a notification is addressed to: a completion id, a signal index or a signal name.</summary>
internal readonly record struct NotificationId(NotificationIdKind Kind, uint Index, string? Name)
{
    public static NotificationId Completion(uint id) => new(NotificationIdKind.Completion, id, null);

    public static NotificationId Signal(uint index) => new(NotificationIdKind.Signal, index, null);

    public static NotificationId NamedSignal(string name) => new(NotificationIdKind.NamedSignal, 0, name);

    public static readonly NotificationId Cancel = Signal(1);
}

internal enum NotificationIdKind
{
    Completion,
    Signal,
    NamedSignal,
}
