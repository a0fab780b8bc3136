namespace Keel.Sdk;

/// <summary>Awaits whatever awaitable a handler returned (Task, Task&lt;T&gt;, ValueTask, ValueTask&lt;T&gt;).</summary>
internal static class TaskResults
{
    public static async Task<object?> AwaitAsync(object? returned)
    {
        switch (returned)
        {
            case null:
                return null;
            case Task task:
                await task;
                return task.GetType().IsGenericType ? task.GetType().GetProperty(nameof(Task<int>.Result))!.GetValue(task) : null;
            case ValueTask valueTask:
                await valueTask;
                return null;
            default:
                var asTask = returned.GetType().GetMethod(nameof(ValueTask<int>.AsTask))
                    ?? throw new InvalidOperationException($"Unsupported handler return type {returned.GetType()}.");
                return await AwaitAsync(asTask.Invoke(returned, null));
        }
    }
}
