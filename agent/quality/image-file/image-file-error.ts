/** Why an image file cannot be scored; stable strings, safe to log (no pixel data). */
export type ImageFileProblem =
  "undecodable" | "truncated" | "out-of-range" | "unsupported-resolution" | "raw-needs-size";

export class ImageFileError extends Error {
  override readonly name = "ImageFileError";

  constructor(
    readonly problem: ImageFileProblem,
    message: string,
  ) {
    super(message);
  }
}
