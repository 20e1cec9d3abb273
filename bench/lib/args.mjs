/**
 * Parses `--name value` / `--flag` arguments into an object, with typed defaults:
 * `parseArgs(argv, { pairs: 50, json: false })` → `{ pairs: 50, json: false }` overridden by argv.
 * Unknown flags are an error, so a typo never silently runs the default workload.
 */
export function parseArgs(argv, defaults) {
  const out = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new Error(`unexpected argument "${a}"`);
    let [key, value] = a.slice(2).split('=', 2);
    key = key.replace(/-([a-z])/g, (_, c) => c.toUpperCase());
    if (!(key in defaults)) throw new Error(`unknown option --${a.slice(2).split('=')[0]}`);
    const d = defaults[key];
    if (typeof d === 'boolean') {
      out[key] = value === undefined ? true : value !== 'false';
      continue;
    }
    if (value === undefined) value = argv[++i];
    if (value === undefined) throw new Error(`--${key} needs a value`);
    out[key] = typeof d === 'number' ? Number(value) : value;
    if (typeof d === 'number' && !Number.isFinite(out[key])) throw new Error(`--${key}: not a number`);
  }
  return out;
}
