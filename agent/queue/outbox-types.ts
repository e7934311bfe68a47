import type { QueueHealth, StorageLimits } from "./storage-limits.js";

export type RecordState = "pending" | "in-flight" | "acknowledged" | "deleted";

/** Where a record sits in the device's signed hash chain. */
export interface RecordChainPlace {
  readonly previousLink: Uint8Array;
  readonly link: Uint8Array;
  readonly signature: Uint8Array;
  /** The chain's 16-byte epoch; absent for a chain begun before epochs existed. */
  readonly epoch?: Uint8Array;
}

/** What sync sends: the plaintext record (decrypted only here) and its place in the chain. */
export interface QueuedRecord {
  readonly id: string;
  readonly seq: number;
  readonly createdAt: string;
  readonly payload: Uint8Array;
  readonly chain: RecordChainPlace;
}

/** A row's metadata, readable without the key. */
export interface QueuedRecordSummary {
  readonly id: string;
  readonly seq: number;
  readonly createdAt: string;
  readonly state: RecordState;
  readonly payloadBytes: number;
  readonly leaseUntil: string | null;
  /** Why the record is held back from delivery, when it is quarantined. */
  readonly quarantined?: string;
}

export interface OutboxStats {
  /** Records not yet acknowledged (pending and in flight), quarantined ones included. */
  readonly records: number;
  readonly payloadBytes: number;
  /** Capture time of the oldest record not yet acknowledged. */
  readonly oldestCreatedAt: string | null;
  /** When the oldest record not yet acknowledged was queued (its age on the status topic). */
  readonly oldestEnqueuedAt: string | null;
  readonly lastSeq: number;
  readonly inFlight: number;
  /** Records whose payload failed authentication: kept, never sent. */
  readonly quarantined: number;
}

/** Per-state counts and sizes, for `basma-agent queue stats`. */
export interface OutboxInventory {
  /** Quarantined records are counted apart, not under pending. */
  readonly states: Readonly<Record<RecordState, { records: number; payloadBytes: number }>>;
  readonly quarantined: { readonly records: number; readonly payloadBytes: number };
  /** Of records not yet acknowledged (pending and in flight). */
  readonly oldestCreatedAt: string | null;
  readonly newestCreatedAt: string | null;
}

/** A record held back from delivery because its payload no longer opens. */
export interface QuarantinedRecord {
  readonly seq: number;
  readonly id: string;
  readonly reason: string;
  readonly quarantinedAt: string;
}

/** One live record as `basma-agent queue export` writes it: sealed, or opened with the key. */
export interface ExportedRecord {
  readonly id: string;
  readonly seq: number;
  readonly createdAt: string;
  readonly state: RecordState;
  readonly payloadDigest: Buffer;
  readonly previousLink: Buffer;
  readonly link: Buffer;
  readonly signature: Buffer;
  /**
   * AES-256-GCM ciphertext and tag with its nonce and its own key wrapped by the data key
   * (null for records sealed before record keys), or (decrypted) the CBOR record itself.
   */
  readonly sealed?: {
    readonly nonce: Buffer;
    readonly ciphertext: Buffer;
    readonly wrappedKey: Buffer | null;
  };
  readonly payload?: Buffer;
}

/** The chain this queue writes: its epoch, and the head it follows after a reset. */
export interface ChainInfo {
  readonly epoch: Buffer | null;
  readonly follows: { readonly epoch: Buffer | null; readonly seq: number } | null;
}

export interface LeaseOptions {
  /**
   * Records with a seq above this come first, oldest first, then the older backlog:
   * live sessions ahead of a backlog left by an outage.
   */
  readonly liveAfterSeq?: number | undefined;
  /** The clock, for tests (default Date.now()). */
  readonly now?: number | undefined;
}

export interface OutboxOptions {
  /** The device key file; by default `device-key` beside the queue file. */
  readonly keyFile?: string | undefined;
  /** Create the key file when absent and the queue has never been keyed (default true). */
  readonly createKeyFile?: boolean | undefined;
  readonly limits?: Partial<StorageLimits> | undefined;
  /** Called when the health level changes (ok, warning, full): the health alarm. */
  readonly onHealthChange?: ((health: QueueHealth) => void) | undefined;
  /** Called once for each record put in quarantine. */
  readonly onQuarantine?: ((record: QuarantinedRecord) => void) | undefined;
  /** Caps the file's size in pages: a disk-full drill where no small file system can be mounted. */
  readonly maxPageCount?: number | undefined;
  /**
   * Run the start-up check and move a damaged file aside (default true). Tools that
   * only look at a queue (basma-agent queue ...) turn it off, so they never move the
   * file under a running agent; a damaged file then fails to open instead.
   */
  readonly startupCheck?: boolean | undefined;
  /** Refuse to create a queue file that does not exist yet (default false). */
  readonly mustExist?: boolean | undefined;
}
