/**
 * The library's version.
 *
 * @module
 */

/** The version of this release of huey for TypeScript. */
export const VERSION = "0.1.0";
