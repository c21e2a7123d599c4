/**
 * Task messages written as raw JSON, for tests that feed the queue what a
 * producer could send but the library would never write: a field of the
 * wrong type, a bad tag, an unknown next stage.
 *
 * @module
 */

/** A good message of the `add` task as JSON text fields (values are raw JSON). */
export function goodFields(id: string, args = "[1,2]"): Record<string, string> {
  return {
    id: JSON.stringify(id),
    name: '"add"',
    args,
    eta: "null",
    retries: "0",
    retryDelay: "0",
    priority: "null",
    expires: "null",
    expiresResolved: "null",
    timeout: "null",
    onComplete: "null",
    onError: "null",
  };
}

/** The JSON object text of raw fields. */
export function json(fields: Record<string, string>): string {
  return `{${Object.entries(fields).map(([key, value]) => `${JSON.stringify(key)}:${value}`)}}`;
}

/** The bytes of a good `add` message with some fields replaced by raw JSON. */
export function rawMessage(id: string, fields: Record<string, string> = {}): Uint8Array {
  return new TextEncoder().encode(json({ ...goodFields(id), ...fields }));
}
