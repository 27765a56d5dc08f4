using Google.Protobuf;
using LoadGen.Core.Scenarios;
using LoadGen.Core.Scenarios.Lab;
using LoadGen.Core.Workloads;
using LoadGen.Protos.Lab;

namespace LoadGen.Core.Engine;

/// <summary>
/// The built-in workload: the lab service's Chat, with the scenario's payload and directives. A reply
/// names the sequence number it answers; fan-out copies and pushes answer none.
/// </summary>
internal static class LabWorkload
{
    public const string MethodName = "loadgen.lab.v1.LabService/Chat";

    public static BidiWorkload<ClientFrame, ServerFrame> Create(MessagePlan plan)
    {
        var payload = ByteString.CopyFrom(new byte[plan.PayloadBytes]);
        var every = ToProto(plan.Directives, null);
        var first = plan.First is null ? null : ToProto(plan.Directives, plan.First);
        var rise = plan.Directives?.DelayRisePerMinute ?? TimeSpan.Zero;
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        Directives? Every()
        {
            if (rise <= TimeSpan.Zero || every is null)
            {
                return every;
            }

            // A known drift: the delay asked grows with the time since the workload started.
            var minutes = System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMinutes;
            return new Directives(every) { DelayMs = (uint)Math.Round(plan.Directives!.Delay.TotalMilliseconds + (rise.TotalMilliseconds * minutes)) };
        }

        return new BidiWorkload<ClientFrame, ServerFrame>(
                MethodName,
                (invoker, options) => new LabService.LabServiceClient(invoker).Chat(options),
                (_, seq) => new ClientFrame { Seq = seq, Payload = payload, Directives = seq == 1 && first is not null ? first : Every() })
            .MatchBySequence(reply => reply.ReplyIndex == 0 ? reply.Seq : 0, "lab: replies carry their request's seq");
    }

    private static Directives? ToProto(LabDirectives? every, StreamDirectives? first)
    {
        if (every is null && first is null)
        {
            return null;
        }

        var d = new Directives();
        if (every is not null)
        {
            d.DelayMs = (uint)every.Delay.TotalMilliseconds;
            d.ReplyCount = (uint)every.ReplyCount;
            d.ReplySize = (uint)every.ReplySize;
        }

        if (first is not null)
        {
            d.StopReplying = first.StopReplying;
            d.StopReplyingAfter = (uint)(first.StopReplyingAfter ?? 0);
            d.PushIntervalMs = (uint)first.PushEvery.TotalMilliseconds;
            d.PushCount = (uint)first.PushCount;
            d.Abort = first.Abort;
            d.CloseConnection = first.CloseConnection switch
            {
                ConnectionEndKind.Goaway => ConnectionEnd.Goaway,
                ConnectionEndKind.Abort => ConnectionEnd.Abort,
                _ => ConnectionEnd.None,
            };
            if (first.EndAfterMessages is { } n)
            {
                d.EndStream = true;
                d.EndAfterMessages = (uint)n;
                d.EndStatus = first.EndStatus;
                d.EndDetail = "lab: end on cue";
            }

            if (first.Cutoff is { } c)
            {
                d.Cutoff = new Cutoff
                {
                    When = c.When switch
                    {
                        CutoffWhen.ClientQuiet => Cutoff.Types.When.ClientQuiet,
                        CutoffWhen.ServerQuiet => Cutoff.Types.When.ServerQuiet,
                        CutoffWhen.BothQuiet => Cutoff.Types.When.BothQuiet,
                        _ => Cutoff.Types.When.Age,
                    },
                    AfterMs = (uint)c.After.TotalMilliseconds,
                    Abort = c.Abort,
                    Status = c.Status,
                };
            }
        }

        return d;
    }
}
