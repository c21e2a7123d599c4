/**
 * Writes Prometheus's text exposition format (version 0.0.4): a family's
 * `# HELP` and `# TYPE` lines, then its samples, label values and help
 * text escaped, numbers as Prometheus reads them (`+Inf`, `NaN`).
 *
 * @module
 * @internal
 */

/** The type of a metric family. */
export type MetricType = "counter" | "gauge" | "histogram";

/** One sample: its name (a family's name, or with `_bucket`/`_sum`/`_count`), its labels and value. */
export interface Sample {
  readonly name: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly value: number;
}

/** `\\`, `"` and line feeds escaped, as a label value must be. */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/** A number as the format writes it. */
export function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

/** The `{a="x",b="y"}` of a sample (nothing without labels). */
function formatLabels(labels: Readonly<Record<string, string>> | undefined): string {
  const entries = Object.entries(labels ?? {});
  if (entries.length === 0) return "";
  return `{${entries.map(([name, value]) => `${name}="${escapeLabelValue(value)}"`).join(",")}}`;
}

/** Builds the text of a page of metric families. */
export class ExpositionWriter {
  #lines: string[] = [];

  /**
   * Adds a family: its help, its type, and its samples.
   *
   * @param name The family's name (`huey_tasks_total`).
   * @param type Its type.
   * @param help What it measures (one line).
   * @param samples Its samples.
   */
  family(name: string, type: MetricType, help: string, samples: readonly Sample[]): void {
    this.#lines.push(`# HELP ${name} ${help.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")}`);
    this.#lines.push(`# TYPE ${name} ${type}`);
    for (const sample of samples) {
      this.#lines.push(`${sample.name}${formatLabels(sample.labels)} ${formatValue(sample.value)}`);
    }
  }

  /** The page's text (ends with a line feed). */
  text(): string {
    return this.#lines.join("\n") + "\n";
  }
}
