import { z } from "zod";

/** The `remoteConfig` section of the agent configuration. */
export const remoteConfigSchema = z.strictObject({
  /** Apply configurations the centre pushes (signed with a centre command key). */
  enabled: z.boolean().default(true),
  /**
   * How long a newly applied configuration has to reach healthy (sensors open, broker
   * connected) before it is rolled back.
   */
  healthDeadlineMs: z.int().min(5_000).max(3_600_000).default(120_000),
});

export type RemoteConfigSettings = z.output<typeof remoteConfigSchema>;

/** A desired configuration larger than this is refused unread. */
export const MAX_DESIRED_CONFIG_BYTES = 64 * 1024;
