/**
 * KumoMTA's rules (shaping automation, bounce classification) are Rust regex / fancy-regex
 * patterns. JavaScript understands the same syntax for what rules use in practice (classes,
 * lookaround, escapes, counted repetition); what differs is translated here: leading flags such
 * as `(?i)` become RegExp flags, `\A` and `\z` become `^` and `$`. Unicode mode first, then the
 * legacy mode, which accepts more escapes. Anything JavaScript cannot compile throws.
 */
export function compileRegex(src: string): RegExp {
  let flags = '';
  let body = src;
  const m = /^\(\?([imsx]+)\)/.exec(body);
  if (m) {
    if (m[1].includes('x')) throw new Error(`invalid regex "${src}": the x flag is not supported`);
    flags = [...new Set(m[1])].join('');
    body = body.slice(m[0].length);
  }
  if (/\(\?[imsx-]+[:)]/.test(body)) throw new Error(`invalid regex "${src}": inline flags such as (?i:...) are only supported at the start`);
  body = body.replace(/\\A/g, '^').replace(/\\z/g, '$');
  try {
    return new RegExp(body, flags + 'u');
  } catch {
    try {
      return new RegExp(body, flags);
    } catch (e) {
      throw new Error(`invalid regex "${src}": ${(e as Error).message.replace(/^Invalid regular expression: /, '')}`);
    }
  }
}

/** A reply as KumoMTA's rules see it: `CODE [ENHANCED ]TEXT` on one line (Response::to_single_line). */
export function responseLine(code: number, enhanced: string | undefined, text: string): string {
  return `${code} ${enhanced ? enhanced + ' ' : ''}${text.replace(/\r?\n/g, ' ')}`;
}
