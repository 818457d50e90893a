/* Generated from schemas/sources.schema.json by scripts/gen-types.mjs. Do not edit: run npm run gen:types. */

/**
 * STUB: to be written.
 */
export interface STUBSources {

}
