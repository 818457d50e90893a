/* Generated from schemas/queues.schema.json by scripts/gen-types.mjs. Do not edit: run npm run gen:types. */

/**
 * STUB: to be written.
 */
export interface STUBQueues {

}
