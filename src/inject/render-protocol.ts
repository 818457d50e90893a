/**
 * What the inject path asks of a template renderer, and the messages between the server and
 * the renderer process (render-sandbox.ts, render-child.ts). A request's templates are opened
 * once as a job (compiled, with the global substitutions) and rendered for slices of its
 * recipients; the renderer answers each slice with one row of strings per recipient, one
 * string per template part.
 */
import type { LimitKind, RenderLimits } from './template-budget.js';
import type { InjectRecipient } from './schema.js';

export type Variables = Record<string, unknown>;

/** One template of a request: `part` names it (`content/html_body`...); HTML parts autoescape. */
export interface TemplatePart {
  readonly part: string;
  readonly src: string;
  readonly html: boolean;
}

export interface JobSpec {
  readonly parts: readonly TemplatePart[];
  readonly global: Variables;
}

/** A request's compiled templates. */
export interface TemplateJob {
  /**
   * Renders `recipients` from the first on: at least one, and as many as one slice of work
   * takes (a slice is bounded in time and size). Throws a TemplateError naming the part.
   */
  render(recipients: readonly InjectRecipient[], limits: RenderLimits): Promise<string[][]>;
  /** the job is done: the renderer forgets it */
  close(): void;
}

export interface TemplateRenderer {
  /** compiles the templates (a syntax error throws a TemplateError naming the part) */
  open(spec: JobSpec): Promise<TemplateJob>;
}

/** The variables a recipient's templates see: the global substitutions, its address and name, its own substitutions over them. */
export function recipientVars(global: Variables, r: InjectRecipient): Variables {
  return { ...global, email: r.email, ...(r.name != null ? { name: r.name } : {}), ...r.substitutions };
}

/** A template failure as it crosses the process boundary. */
export interface WireTemplateError {
  readonly part: string;
  readonly detail: string;
  readonly limit?: LimitKind;
}

export type ToRenderer =
  | { readonly op: 'open'; readonly id: number; readonly job: number; readonly spec: JobSpec }
  | { readonly op: 'render'; readonly id: number; readonly job: number; readonly recipients: readonly InjectRecipient[]; readonly limits: RenderLimits }
  | { readonly op: 'close'; readonly job: number };

export type FromRenderer =
  | { readonly op: 'ready' }
  | { readonly id: number; readonly rows?: string[][]; readonly error?: WireTemplateError; readonly unknownJob?: true };
