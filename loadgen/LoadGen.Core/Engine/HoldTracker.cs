using LoadGen.Results;

namespace LoadGen.Core.Engine;

/// <summary>
/// Samples, every engine tick of a hold phase, how many streams were open against how many were wanted,
/// and whether the shortfall was lost streams waiting out their backoff; each interval takes its share.
/// </summary>
internal sealed class HoldTracker
{
    private double _seconds;
    private double _wanted;
    private double _held;
    private double _minShare = double.NaN;
    private double _backoff;
    private double _short;

    /// <param name="dt">Seconds since the previous tick.</param>
    public void Observe(double dt, int want, long open, int waitingForBackoff)
    {
        if (want <= 0 || dt <= 0)
        {
            return;
        }

        var held = Math.Min(open, want);
        _seconds += dt;
        _wanted += want * dt;
        _held += held * dt;
        var share = held / (double)want;
        _minShare = double.IsNaN(_minShare) ? share : Math.Min(_minShare, share);
        if (held < want)
        {
            _short += dt;
            if (waitingForBackoff > 0)
            {
                _backoff += dt;
            }
        }
    }

    /// <summary>The interval's record (null when no hold-phase tick was seen), and a fresh start for the next.</summary>
    public HoldRecord? Take()
    {
        var record = _seconds <= 0 ? null : new HoldRecord(Math.Round(_seconds, 3), Math.Round(_wanted, 3), Math.Round(_held, 3), Math.Round(_minShare, 4), Math.Round(_backoff, 3)) { ShortS = Math.Round(_short, 3) };
        _seconds = _wanted = _held = _backoff = _short = 0;
        _minShare = double.NaN;
        return record;
    }
}
