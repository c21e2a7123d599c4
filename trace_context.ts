/**
 * The trace context a task message carries (field `trace`, see
 * docs/wire-format.md and docs/observability.md): W3C Trace Context's
 * `traceparent` and `tracestate` headers, as strings, so that any tracer (or
 * none) can read them. The check of the field on read, and the conversion to
 * and from a span context's parts.
 *
 * @module
 */

/**
 * The W3C trace context of the send span a message comes from (field `trace`
 * of a task message, `Task.trace`).
 *
 * @example
 * ```ts
 * import type { TraceContext } from "./mod.ts";
 * const context: TraceContext = {
 *   traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
 * };
 * console.assert(context.traceparent.startsWith("00-"));
 * ```
 */
export interface TraceContext {
  /** `00-<trace id: 32 hex>-<parent span id: 16 hex>-<flags: 2 hex>`. */
  traceparent: string;
  /** The vendors' `tracestate` list, when the span has one. */
  tracestate?: string;
}

/** The parts of a span context a trace context carries. */
export interface SpanContextParts {
  /** 32 lowercase hex digits, not all zero. */
  traceId: string;
  /** 16 lowercase hex digits, not all zero. */
  spanId: string;
  /** The trace flags (bit 0: sampled). */
  traceFlags: number;
  /** The `tracestate` list, if any. */
  traceState?: string;
}

/** Version 00 of `traceparent`, lowercase hex as the W3C recommendation writes it. */
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
/** `tracestate`: at most 32 members of printable ASCII, 512 characters in all (W3C's limits). */
const TRACESTATE = /^[\x20-\x7e]{0,512}$/;
const ZEROS = /^0+$/;

/** What fits field `trace`, in the words of a decoding error. */
export const TRACE_ALLOWED =
  "null or { traceparent, tracestate? } (a W3C traceparent '00-<32 hex>-<16 hex>-<2 hex>' " +
  "with non-zero ids, and a tracestate of at most 512 printable characters)";

/** Whether a decoded field `trace` is a valid trace context (or `null`). */
export function isTraceContext(value: unknown): value is TraceContext | null {
  if (value === null) return true;
  if (typeof value !== "object" || Array.isArray(value)) return false;
  const { traceparent, tracestate, ...rest } = value as Record<string, unknown>;
  if (Object.keys(rest).length > 0 || typeof traceparent !== "string") return false;
  if (
    tracestate !== undefined && (typeof tracestate !== "string" || !TRACESTATE.test(tracestate))
  ) {
    return false;
  }
  return parseTraceparent(traceparent) !== null;
}

/** The ids and flags of a `traceparent`, or `null` when it is not a valid version-00 one. */
function parseTraceparent(traceparent: string): Omit<SpanContextParts, "traceState"> | null {
  const match = TRACEPARENT.exec(traceparent);
  if (match === null || ZEROS.test(match[1]) || ZEROS.test(match[2])) return null;
  return { traceId: match[1], spanId: match[2], traceFlags: parseInt(match[3], 16) };
}

/**
 * The trace context of a span, as it goes into a message.
 *
 * @param parts The span's context.
 * @returns The field `trace`: `tracestate` only when the span has one.
 */
export function toTraceContext(parts: SpanContextParts): TraceContext {
  const flags = (parts.traceFlags & 0xff).toString(16).padStart(2, "0");
  const context: TraceContext = { traceparent: `00-${parts.traceId}-${parts.spanId}-${flags}` };
  if (parts.traceState) context.tracestate = parts.traceState;
  return context;
}

/**
 * The span context parts of a message's trace context (checked when the
 * message was read).
 *
 * @param context The field `trace`.
 * @returns Its ids, flags and trace state.
 */
export function fromTraceContext(context: TraceContext): SpanContextParts {
  return { ...parseTraceparent(context.traceparent)!, traceState: context.tracestate };
}
