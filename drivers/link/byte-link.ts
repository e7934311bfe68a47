/**
 * A bidirectional byte stream to one device: a serial port, a serial-over-TCP
 * bridge or an in-memory pair. Framing is the protocol layer's business.
 */
export interface ByteLink {
  /** Resolves once the bytes are handed to the operating system. */
  write(bytes: Uint8Array): Promise<void>;
  /** Returns an unsubscribe function. */
  onData(listener: (chunk: Uint8Array) => void): () => void;
  /**
   * Called once when the link closes: with an Error when it went away on its own,
   * without one after close(). A listener added after the close is still called.
   * Returns an unsubscribe function.
   */
  onClose(listener: (error?: Error) => void): () => void;
  /** Safe to call more than once. */
  close(): Promise<void>;
}

export type OpenByteLink = (path: string, baud: number, signal?: AbortSignal) => Promise<ByteLink>;
