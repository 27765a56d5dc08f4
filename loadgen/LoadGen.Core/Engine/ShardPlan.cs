using LoadGen.Core.Scenarios;

namespace LoadGen.Core.Engine;

/// <summary>What a shard process is told: its slice, and the run id every shard of the run shares.</summary>
public sealed record ShardPlan(ShardSlice Slice, string RunId);
