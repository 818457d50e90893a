// The benches' command line: `--name value` pairs, and bare flags for the names a bench lists
// (`flags`, e.g. `-d`, `--dkim`), which read as 'true'. A name is looked up without its `--`.
export function benchArgs(flags: readonly string[] = [], argv: readonly string[] = process.argv.slice(2)): Map<string, string> {
  const args = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (flags.includes(a)) args.set(a.replace(/^-+/, ''), 'true');
    else args.set(a.replace(/^--/, ''), argv[++i] ?? '');
  }
  return args;
}
