using System.Globalization;
using System.Text;
using System.Text.Json;

namespace LoadGen.Core.Workloads;

/// <summary>A template value before it meets a descriptor: what the text said, and on which line.</summary>
internal abstract record TValue(int Line);

internal enum ScalarKind
{
    String,
    Number,
    Identifier,
    Bool,
}

/// <summary>A scalar as written: a string (may hold ${…} placeholders), a number, an identifier (enum name, true, false), or a bare placeholder.</summary>
internal sealed record TScalar(string Text, ScalarKind Kind, int Line, bool Json = false) : TValue(Line);

/// <summary>A message's fields in order; a repeated field appears once per element. JSON objects under a map field are keyed by map key.</summary>
internal sealed record TMessage(IReadOnlyList<TField> Fields, bool Json, int Line) : TValue(Line);

/// <summary>A list of values (JSON arrays, text format's [a, b]).</summary>
internal sealed record TList(IReadOnlyList<TValue> Items, int Line) : TValue(Line);

internal sealed record TField(string Name, TValue Value, int Line);

/// <summary>
/// Parses message templates: protobuf text format (<c>id: ${seq} payload { body: "${random:64}" }</c>)
/// or JSON (<c>{"id": "${seq}"}</c>). Line numbers are 1-based within the template.
/// </summary>
internal static class TemplateSyntax
{
    public static TMessage Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.TrimStart().StartsWith('{') ? ParseJson(text) : new TextFormat(text).Message(null);
    }

    private static TMessage ParseJson(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        // Where each line starts, to give every value the line it is on.
        var starts = new List<int> { 0 };
        for (var i = 0; i < bytes.Length; i++)
        {
            if (bytes[i] == (byte)'\n')
            {
                starts.Add(i + 1);
            }
        }

        int LineAt(long offset)
        {
            var k = starts.BinarySearch((int)offset);
            return (k >= 0 ? k : ~k - 1) + 1;
        }

        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        try
        {
            reader.Read();
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                throw new TemplateSyntaxException(1, "a JSON template is one object: { \"field\": value, … }");
            }

            var message = (TMessage)JsonValue(ref reader, LineAt);
            if (reader.Read())
            {
                throw new TemplateSyntaxException(LineAt(reader.TokenStartIndex), "more after the template's closing '}'");
            }

            return message;
        }
        catch (JsonException e)
        {
            throw new TemplateSyntaxException((int)(e.LineNumber ?? 0) + 1, $"not valid JSON: {e.Message}");
        }
    }

    private static TValue JsonValue(ref Utf8JsonReader r, Func<long, int> lineAt)
    {
        var line = lineAt(r.TokenStartIndex);
        switch (r.TokenType)
        {
            case JsonTokenType.StartObject:
                var fields = new List<TField>();
                while (r.Read() && r.TokenType != JsonTokenType.EndObject)
                {
                    var nameLine = lineAt(r.TokenStartIndex);
                    var name = r.GetString()!;
                    r.Read();
                    fields.Add(new TField(name, JsonValue(ref r, lineAt), nameLine));
                }

                return new TMessage(fields, true, line);
            case JsonTokenType.StartArray:
                var items = new List<TValue>();
                while (r.Read() && r.TokenType != JsonTokenType.EndArray)
                {
                    items.Add(JsonValue(ref r, lineAt));
                }

                return new TList(items, line);
            case JsonTokenType.String:
                return new TScalar(r.GetString()!, ScalarKind.String, line, Json: true);
            case JsonTokenType.Number:
                return new TScalar(Encoding.UTF8.GetString(r.ValueSpan), ScalarKind.Number, line);
            case JsonTokenType.True or JsonTokenType.False:
                return new TScalar(r.TokenType == JsonTokenType.True ? "true" : "false", ScalarKind.Bool, line);
            default:
                throw new TemplateSyntaxException(line, "null is not a value a template can send: leave the field out");
        }
    }

    /// <summary>Protobuf text format, the subset a message template needs (no extensions, no Any expansion).</summary>
    private sealed class TextFormat(string text)
    {
        private int _pos;
        private int _line = 1;

        public TMessage Message(char? close)
        {
            var startLine = _line;
            var fields = new List<TField>();
            while (true)
            {
                Skip();
                if (_pos >= text.Length)
                {
                    if (close is not null)
                    {
                        throw Error($"'{close}' missing: the message opened on line {startLine} is not closed");
                    }

                    return new TMessage(fields, false, startLine);
                }

                if (close is not null && text[_pos] == close)
                {
                    _pos++;
                    return new TMessage(fields, false, startLine);
                }

                var line = _line;
                var name = Identifier() ?? throw Error($"expected a field name, found '{Peek()}'");
                Skip();
                var colon = TryTake(':');
                Skip();
                if (_pos < text.Length && text[_pos] == '[')
                {
                    _pos++;
                    while (true)
                    {
                        Skip();
                        if (TryTake(']'))
                        {
                            break;
                        }

                        fields.Add(new TField(name, Value(colon), line));
                        Skip();
                        if (!TryTake(','))
                        {
                            Skip();
                            if (!TryTake(']'))
                            {
                                throw Error($"expected ',' or ']' in the list of '{name}'");
                            }

                            break;
                        }
                    }
                }
                else
                {
                    fields.Add(new TField(name, Value(colon), line));
                }

                Skip();
                if (_pos < text.Length && text[_pos] is ',' or ';')
                {
                    _pos++;
                }
            }
        }

        private TValue Value(bool colon)
        {
            var line = _line;
            if (_pos >= text.Length)
            {
                throw Error("a value is missing at the end");
            }

            var c = text[_pos];
            if (c is '{' or '<')
            {
                _pos++;
                return Message(c == '{' ? '}' : '>');
            }

            if (!colon)
            {
                throw Error($"expected ':' after the field name (or '{{' for a message), found '{c}'");
            }

            if (c is '"' or '\'')
            {
                var sb = new StringBuilder();
                // Adjacent string literals are one value, as in protobuf's own parser.
                while (_pos < text.Length && text[_pos] is '"' or '\'')
                {
                    sb.Append(QuotedString());
                    Skip();
                }

                return new TScalar(sb.ToString(), ScalarKind.String, line);
            }

            if (c == '$' && _pos + 1 < text.Length && text[_pos + 1] == '{')
            {
                var end = text.IndexOf('}', _pos);
                if (end < 0)
                {
                    throw Error("'${' is not closed with '}'");
                }

                var placeholder = text[_pos..(end + 1)];
                _pos = end + 1;
                return new TScalar(placeholder, ScalarKind.String, line);
            }

            if (c == '-' || c == '+' || c == '.' || char.IsAsciiDigit(c))
            {
                var start = _pos;
                _pos++;
                while (_pos < text.Length)
                {
                    var ch = text[_pos];
                    if (!(char.IsAsciiLetterOrDigit(ch) || ch is '.' or '_' || (ch is '+' or '-' && text[_pos - 1] is 'e' or 'E')))
                    {
                        break;
                    }

                    _pos++;
                }

                var number = text[start.._pos];
                // "-inf", "-nan" are identifiers with a sign.
                return new TScalar(number, ScalarKind.Number, line);
            }

            var id = Identifier() ?? throw Error($"expected a value, found '{c}'");
            return id is "true" or "false" or "True" or "False" or "t" or "f"
                ? new TScalar(id is "true" or "True" or "t" ? "true" : "false", ScalarKind.Bool, line)
                : new TScalar(id, ScalarKind.Identifier, line);
        }

        private string QuotedString()
        {
            var quote = text[_pos++];
            var sb = new StringBuilder();
            while (true)
            {
                if (_pos >= text.Length || text[_pos] == '\n')
                {
                    throw Error("a string is not closed on its line");
                }

                var c = text[_pos++];
                if (c == quote)
                {
                    return sb.ToString();
                }

                if (c != '\\')
                {
                    sb.Append(c);
                    continue;
                }

                if (_pos >= text.Length)
                {
                    throw Error("a string ends in '\\'");
                }

                var e = text[_pos++];
                switch (e)
                {
                    case 'n': sb.Append('\n'); break;
                    case 't': sb.Append('\t'); break;
                    case 'r': sb.Append('\r'); break;
                    case '\\' or '\'' or '"' or '?': sb.Append(e); break;
                    case 'a': sb.Append('\a'); break;
                    case 'b': sb.Append('\b'); break;
                    case 'f': sb.Append('\f'); break;
                    case 'v': sb.Append('\v'); break;
                    case 'x':
                        var hex = Take(ch => char.IsAsciiHexDigit(ch), 2);
                        sb.Append((char)int.Parse(hex, NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                        break;
                    case >= '0' and <= '7':
                        _pos--;
                        var oct = Take(ch => ch is >= '0' and <= '7', 3);
                        sb.Append((char)Convert.ToInt32(oct, 8));
                        break;
                    default:
                        throw Error($"'\\{e}' is not an escape text format knows");
                }
            }
        }

        private string Take(Func<char, bool> ok, int max)
        {
            var start = _pos;
            while (_pos < text.Length && _pos - start < max && ok(text[_pos]))
            {
                _pos++;
            }

            return _pos == start ? throw Error("an escape has no digits") : text[start.._pos];
        }

        private string? Identifier()
        {
            if (_pos >= text.Length || !(char.IsAsciiLetter(text[_pos]) || text[_pos] == '_'))
            {
                return null;
            }

            var start = _pos;
            while (_pos < text.Length && (char.IsAsciiLetterOrDigit(text[_pos]) || text[_pos] == '_'))
            {
                _pos++;
            }

            return text[start.._pos];
        }

        private bool TryTake(char c)
        {
            if (_pos < text.Length && text[_pos] == c)
            {
                _pos++;
                return true;
            }

            return false;
        }

        private string Peek() => _pos < text.Length ? text[_pos].ToString() : "the end";

        private void Skip()
        {
            while (_pos < text.Length)
            {
                var c = text[_pos];
                if (c == '\n')
                {
                    _line++;
                    _pos++;
                }
                else if (char.IsWhiteSpace(c))
                {
                    _pos++;
                }
                else if (c == '#')
                {
                    while (_pos < text.Length && text[_pos] != '\n')
                    {
                        _pos++;
                    }
                }
                else
                {
                    return;
                }
            }
        }

        private TemplateSyntaxException Error(string message) => new(_line, message);
    }
}

/// <summary>A template that does not parse or does not fit its message type; <see cref="Line"/> is 1-based within the template.</summary>
internal sealed class TemplateSyntaxException(int line, string message) : Exception(message)
{
    public int Line { get; } = line;
}
