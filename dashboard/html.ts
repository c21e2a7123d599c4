/**
 * HTML built safely: the `html` tag escapes every value put in a template
 * with {@linkcode escapeHtml} (the one escape function of the dashboard),
 * unless it is markup that `html` itself built. Whatever comes from tasks
 * (names, arguments, errors, reasons) is text, never markup.
 *
 * @module
 */

/** Markup built by {@linkcode html}: put in another template as is. */
export class Html {
  /** The markup. */
  readonly text: string;
  /** @param text Markup that is already safe. */
  constructor(text: string) {
    this.text = text;
  }
  /** The markup. */
  toString(): string {
    return this.text;
  }
}

const ENTITIES: Readonly<Record<string, string>> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** Text as HTML text or attribute value: `& < > " '` become entities. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => ENTITIES[char]);
}

/** What a template takes: markup, text, numbers, nothing, or lists of them. */
export type HtmlValue = Html | string | number | boolean | null | undefined | readonly HtmlValue[];

function render(value: HtmlValue): string {
  if (value instanceof Html) return value.text;
  if (Array.isArray(value)) return value.map(render).join("");
  if (value === null || value === undefined || value === false) return "";
  return escapeHtml(String(value));
}

/**
 * A template of markup whose values are escaped (lists joined, `null`,
 * `undefined` and `false` left out, `Html` kept).
 *
 * @example
 * ```ts
 * import { html } from "./html.ts";
 * const name = "<img src=x onerror=alert(1)>";
 * console.assert(html`<b>${name}</b>`.text === "<b>&lt;img src=x onerror=alert(1)&gt;</b>");
 * ```
 */
export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): Html {
  let text = strings[0];
  for (let i = 0; i < values.length; i++) text += render(values[i]) + strings[i + 1];
  return new Html(text);
}

/** The longest text a list shows of one value; the task's page shows it whole. */
export const PREVIEW_LENGTH = 120;

/** A value as readable text: JSON where it can be, with dates, big integers, maps and bytes named. */
export function formatValue(value: unknown, indent?: number): string {
  try {
    const text = JSON.stringify(value, function (key, item) {
      const raw = (this as Record<string, unknown>)[key];
      if (raw instanceof Date) return `Date(${raw.toISOString()})`;
      if (typeof item === "bigint") return `${item}n`;
      if (item instanceof Map) return { Map: Object.fromEntries(item) };
      if (item instanceof Set) return { Set: [...item] };
      if (item instanceof Uint8Array) return `Uint8Array(${item.length})`;
      if (item === undefined) return "undefined";
      if (item instanceof Error) return `${item.name}: ${item.message}`;
      return item;
    }, indent);
    return text ?? String(value);
  } catch {
    return String(value);
  }
}

/** Text cut to `length` characters, with an ellipsis when cut. */
export function cut(text: string, length: number = PREVIEW_LENGTH): string {
  return text.length <= length ? text : `${text.slice(0, length - 1)}…`;
}

/** A time as the dashboard shows it (UTC, to the second), in a `<time>` element. */
export function timeTag(date: Date | null | undefined): Html {
  if (!date || Number.isNaN(date.getTime())) return html`<span class="muted">—</span>`;
  const iso = date.toISOString();
  return html`<time datetime="${iso}">${iso.slice(0, 19).replace("T", " ")}Z</time>`;
}
