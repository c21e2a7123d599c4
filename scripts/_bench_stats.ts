/**
 * The summary of a figure measured several times: its median and its range.
 *
 * @module
 */

/** A figure's repetitions, summarized. */
export interface Stat {
  /** The median (the mean of the two middle values for an even count). */
  median: number;
  /** The smallest value. */
  min: number;
  /** The largest value. */
  max: number;
  /** Every value, in the order measured. */
  values: number[];
}

/**
 * Summarizes repetitions of one figure.
 *
 * @throws {RangeError} There is no value.
 */
export function summarize(values: number[]): Stat {
  if (values.length === 0) throw new RangeError("A figure needs at least one value, got none");
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1
    ? sorted[middle]
    : (sorted[middle - 1] + sorted[middle]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1], values };
}
