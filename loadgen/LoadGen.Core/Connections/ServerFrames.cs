using System.Buffers.Binary;
using System.Text;
using LoadGen.Core.Metrics;
using LoadGen.Results;

namespace LoadGen.Core.Connections;

/// <summary>
/// Follows the frame boundaries of what a server sent on one HTTP/2 connection (reads are in order, one at a
/// time) and notes what the path announces: the server's first SETTINGS frame and the connection window it opens
/// (into the target's <see cref="PathRecorder"/>), and every GOAWAY (RFC 9113 §6.8). On h2c it also judges the
/// first bytes (<paramref name="checkFirstBytes"/>): an HTTP/2 server starts with a SETTINGS frame.
/// </summary>
internal sealed class ServerFrames(PathRecorder? path, bool checkFirstBytes)
{
    private const int MaxDebugData = 64;
    private const byte Settings = 0x4;
    private const byte GoAwayType = 0x7;
    private const byte WindowUpdate = 0x8;

    private readonly byte[] _header = new byte[9];
    private readonly byte[] _payload = new byte[Math.Max(8 + MaxDebugData, 6 * 16)];
    private readonly byte[] _first = new byte[5];
    private int _headerFill;
    private int _payloadLeft;
    private int _want;
    private int _fill;
    private byte _type;
    private bool _capture;
    private bool _settingsSeen;
    private bool _streamFrameSeen;
    private bool _windowSeen;
    private long _goAwayAt;
    private long _goAwayCode;
    private int _goAwayLast;
    private string _goAwayDebug = "";

    /// <summary>Bytes watched so far.</summary>
    public long Seen { get; private set; }

    /// <summary>A GOAWAY has arrived on this connection.</summary>
    public bool GoneAway => Volatile.Read(ref _goAwayAt) != 0;

    /// <summary>The server's last GOAWAY; null before one came.</summary>
    public GoAwayFrame? GoAway => Volatile.Read(ref _goAwayAt) is var at and not 0
        ? new GoAwayFrame(Volatile.Read(ref _goAwayCode), _goAwayLast, Volatile.Read(ref _goAwayDebug), new DateTime(at, DateTimeKind.Utc))
        : null;

    /// <summary>The connection ended (or a read or write on it failed) after the server's GOAWAY.</summary>
    public ClosedAfterGoAwayException AfterGoAway(Exception? e) =>
        new(_goAwayCode, _goAwayLast, TimeSpan.FromTicks(DateTime.UtcNow.Ticks - Volatile.Read(ref _goAwayAt)), e);

    /// <summary>The start of what came, as text a person can read (up to 60 characters, controls as '.').</summary>
    public static string Printable(ReadOnlySpan<byte> data)
    {
        var text = Encoding.ASCII.GetString(data[..Math.Min(60, data.Length)]);
        return new string([.. text.Select(c => c is >= ' ' and < (char)127 ? c : '.')]);
    }

    /// <summary>Watches the next bytes the server sent (decrypted, over TLS).</summary>
    public void Watch(ReadOnlySpan<byte> data)
    {
        if (checkFirstBytes && Seen < 5)
        {
            FirstBytes(data);
        }

        Seen += data.Length;
        while (!data.IsEmpty)
        {
            if (_payloadLeft > 0)
            {
                var take = Math.Min(_payloadLeft, data.Length);
                if (_capture && _fill < _want)
                {
                    var copy = Math.Min(_want - _fill, take);
                    data[..copy].CopyTo(_payload.AsSpan(_fill));
                    _fill += copy;
                    if (_fill == _want)
                    {
                        Captured();
                    }
                }

                _payloadLeft -= take;
                data = data[take..];
                continue;
            }

            var need = Math.Min(9 - _headerFill, data.Length);
            data[..need].CopyTo(_header.AsSpan(_headerFill));
            _headerFill += need;
            data = data[need..];
            if (_headerFill < 9)
            {
                return;
            }

            _headerFill = 0;
            Header();
        }
    }

    /// <summary>A frame header is complete: decide whether its payload is wanted.</summary>
    private void Header()
    {
        _payloadLeft = (_header[0] << 16) | (_header[1] << 8) | _header[2];
        _type = _header[3];
        var ack = (_header[4] & 0x1) != 0;
        var stream = (int)(BinaryPrimitives.ReadUInt32BigEndian(_header.AsSpan(5)) & 0x7fffffff);
        _fill = 0;
        _want = 0;
        _capture = false;
        if (stream != 0 && !_streamFrameSeen)
        {
            _streamFrameSeen = true;
            if (_settingsSeen && !_windowSeen && path is not null)
            {
                // The server opened no connection window before the first stream's frame.
                path.Connection(PathFields.ConnectionWindowIncrement, PathFields.NotSent);
            }
        }

        switch (_type)
        {
            case GoAwayType when _payloadLeft >= 8:
                _want = Math.Min(_payloadLeft, 8 + MaxDebugData);
                break;
            case Settings when stream == 0 && !ack && !_settingsSeen:
                _want = Math.Min(_payloadLeft - (_payloadLeft % 6), 6 * 16);
                break;
            case WindowUpdate when stream == 0 && _settingsSeen && !_streamFrameSeen && !_windowSeen && _payloadLeft == 4:
                _want = 4;
                break;
        }

        _capture = _want > 0 || (_type == Settings && stream == 0 && !ack && !_settingsSeen);
        if (_capture && _want == 0)
        {
            // An empty first SETTINGS frame: every parameter at its default.
            Captured();
        }
    }

    /// <summary>A wanted payload (or its first bytes, for a long GOAWAY) is all here.</summary>
    private void Captured()
    {
        _capture = false;
        switch (_type)
        {
            case GoAwayType:
                // The frame (its debug data up to 64 bytes, e.g. C-core's "too_many_pings") is all here.
                _goAwayLast = (int)(BinaryPrimitives.ReadUInt32BigEndian(_payload) & 0x7fffffff);
                _goAwayCode = BinaryPrimitives.ReadUInt32BigEndian(_payload.AsSpan(4));
                Volatile.Write(ref _goAwayDebug, _want > 8 ? Printable(_payload.AsSpan(8, _want - 8)) : "");
                Volatile.Write(ref _goAwayAt, DateTime.UtcNow.Ticks);
                path?.Connection(PathFields.GoAway, _goAwayDebug.Length > 0
                    ? $"{EndCauses.Http2ErrorName(_goAwayCode)} '{_goAwayDebug}'"
                    : EndCauses.Http2ErrorName(_goAwayCode));
                break;
            case Settings:
                _settingsSeen = true;
                if (path is not null)
                {
                    var sent = new Dictionary<string, string>(StringComparer.Ordinal);
                    for (var i = 0; i + 6 <= _want; i += 6)
                    {
                        var id = BinaryPrimitives.ReadUInt16BigEndian(_payload.AsSpan(i));
                        var value = BinaryPrimitives.ReadUInt32BigEndian(_payload.AsSpan(i + 2));
                        sent[PathFields.Setting(id)] = value.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    }

                    path.Settings(sent);
                }

                break;
            case WindowUpdate:
                _windowSeen = true;
                path?.Connection(PathFields.ConnectionWindowIncrement,
                    (BinaryPrimitives.ReadUInt32BigEndian(_payload) & 0x7fffffff).ToString(System.Globalization.CultureInfo.InvariantCulture));
                break;
        }
    }

    /// <summary>The server's first five bytes, judged however the reads split them (a loaded machine can hand over one byte).</summary>
    private void FirstBytes(ReadOnlySpan<byte> data)
    {
        var take = (int)Math.Min(5 - Seen, data.Length);
        data[..take].CopyTo(_first.AsSpan((int)Seen));
        var have = Seen + take;

        // A TLS record (alert 0x15 or handshake 0x16, version 3.x) where HTTP/2 frames should start.
        if (have >= 2 && _first[0] is 0x15 or 0x16 && _first[1] == 0x03)
        {
            throw new TlsAnswerException(_first[0] == 0x15 ? "a TLS alert" : "a TLS handshake record");
        }

        if (have == 5 && _first.AsSpan().SequenceEqual("HTTP/"u8))
        {
            // Only when "HTTP/" came split over reads (WireWatch handles the usual case with the whole answer).
            throw new Http1AnswerException("HTTP/…");
        }

        // Anything else whose first frame header is not a SETTINGS frame (type 0x4 in byte 3) is no HTTP/2 answer:
        // Python's http.server answers the preface with a bare HTML error page, for one.
        if (have == 5 && _first[3] != Settings)
        {
            // What came so far (the earlier reads' bytes, then this one's) for the message.
            var shown = new byte[(int)Seen + data.Length];
            _first.AsSpan(0, (int)Seen).CopyTo(shown);
            data.CopyTo(shown.AsSpan((int)Seen));
            throw new NotHttp2AnswerException(Printable(shown));
        }
    }
}
