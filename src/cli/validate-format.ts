import type { ConfigIssue } from '../config/issues.js';

/** The output formats of `kumo-ts validate`. */
export const VALIDATE_FORMATS = ['text', 'json', 'github'] as const;
export type ValidateFormat = (typeof VALIDATE_FORMATS)[number];

/** One issue as `--format json` prints it (the field names CI tools expect). */
export interface JsonIssue {
  file: string;
  line: number;
  column: number;
  severity: 'error' | 'warning';
  code: string;
  message: string;
}

export function toJsonIssues(issues: readonly ConfigIssue[]): JsonIssue[] {
  return issues.map((i) => ({ file: i.file, line: i.line, column: i.col, severity: i.severity, code: i.code, message: i.message }));
}

// GitHub workflow commands: the message and the property values have their own escapes
// (https://docs.github.com/actions/reference/workflow-commands-for-github-actions)
const escapeData = (s: string) => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
const escapeProperty = (s: string) => escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');

/** `::error file=F,line=L,col=C,title=CODE::message`, one line per issue. */
export function toGithubAnnotation(i: ConfigIssue): string {
  const props = [`file=${escapeProperty(i.file)}`, `line=${i.line}`, `col=${i.col}`, `title=${escapeProperty(i.code)}`].join(',');
  return `::${i.severity === 'warning' ? 'warning' : 'error'} ${props}::${escapeData(i.message)}`;
}
