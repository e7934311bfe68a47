/**
 * The shape every finger-image quality measure returns, so that capture code and stored
 * records do not change when a better measure (ISO/IEC 29794-4) replaces the first one.
 */
export interface QualityAssessment {
  /** 0-100 integer; higher is better. Comparable only between results of the same measure. */
  readonly score: number;
  readonly measures: QualityMeasures;
}

/** The pixel statistics the score was derived from, kept so a rejected capture can be explained. */
export interface QualityMeasures {
  /** Share of the image's blocks that hold finger, 0-1. */
  readonly foregroundRatio: number;
  /** Mean grey-level standard deviation of the foreground blocks, divided by 127.5: 0-1. */
  readonly meanBlockContrast: number;
  /** Mean separation of ridge (dark) and valley (light) grey levels per foreground block, 0-1. */
  readonly ridgeValleyClarity: number;
  /** Blocks assessed (whole blocks only). */
  readonly blocks: number;
  readonly foregroundBlocks: number;
}
