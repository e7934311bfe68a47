/**
 * A simulated device that answers after the host has hung up loses its bytes, as it
 * would on a real wire; the rejected write must not surface as an unhandled rejection.
 */
export function loseBytesOnClosedLine(): void {
  // Nothing to do: the bytes are gone.
}
