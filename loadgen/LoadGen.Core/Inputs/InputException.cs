namespace LoadGen.Core.Inputs;

/// <summary>
/// Something the user's input names cannot be used: an environment variable that is not set, a file that cannot be
/// read or is empty, a certificate or key that does not load, a metadata value that is not printable ASCII. Bad input
/// (exit 2), said in a sentence naming the target, the field and the source, never a value — and never to be confused
/// with LoadGen's own failure, which is why it is a type of its own and not an InvalidOperationException.
/// </summary>
public sealed class InputException : Exception
{
    public InputException()
    {
    }

    public InputException(string message)
        : base(message)
    {
    }

    public InputException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
