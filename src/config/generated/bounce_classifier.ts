/* Generated from schemas/bounce_classifier.schema.json by scripts/gen-types.mjs. Do not edit: run npm run gen:types. */

/**
 * A bounce classification rules file in KumoMTA's format (configure_bounce_classifier files): [rules] maps a category to regular expressions matched against the reply as one line, "CODE ENHANCED-CODE TEXT" (e.g. "550 5.1.1 no such user"). The first rule that matches, in file order and then in rule order, gives the category; no match is Uncategorized.
 */
export interface BounceClassifierFile {
/**
 * Category name (one of KumoMTA's predefined ones such as InvalidRecipient, QuotaIssues, SpamBlock, or a name of your own) → list of regular expressions (Rust/PCRE-like syntax as KumoMTA uses; a leading (?i) makes one case-insensitive).
 */
rules: {
/**
 * Regular expressions for this category, tried in order.
 */
[k: string]: string[]
}
}
