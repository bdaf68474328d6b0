/**
 * One typed config per app, validated once at boot.
 *
 * An app declares a spec (one field per environment key); `loadConfig` reads the
 * environment, converts every value, and throws a single `ConfigError` naming every
 * bad key, so an operator fixes them all in one go. Nothing else reads `process.env`.
 */

export interface FieldSpec<T> {
  /** Human description, shown in error messages and docs. */
  readonly description: string;
  /** Converts the raw string; returns an error message instead of throwing. */
  parse(raw: string): { ok: true; value: T } | { ok: false; error: string };
  /** Used when the key is absent or empty. `undefined` means the key is required. */
  readonly fallback?: () => T;
  readonly secret?: boolean;
}

export type ConfigSpec<T> = { readonly [K in keyof T]: FieldSpec<T[K]> };

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Opts<T> = { description: string; default?: T; secret?: boolean };

function field<T>(opts: Opts<T>, parse: FieldSpec<T>['parse'], optional = false): FieldSpec<T> {
  const d = opts.default;
  return {
    description: opts.description,
    parse,
    secret: opts.secret,
    fallback: d !== undefined ? () => d : optional ? () => undefined as T : undefined,
  };
}

export const env = {
  string(opts: Opts<string> & { minLength?: number }): FieldSpec<string> {
    return field(opts, (raw) =>
      opts.minLength !== undefined && raw.length < opts.minLength
        ? { ok: false, error: `must be at least ${opts.minLength} characters` }
        : { ok: true, value: raw },
    );
  },
  optionalString(opts: Omit<Opts<string>, 'default'>): FieldSpec<string | undefined> {
    return field<string | undefined>(opts, (raw) => ({ ok: true, value: raw }), true);
  },
  int(opts: Opts<number> & { min?: number; max?: number }): FieldSpec<number> {
    return field(opts, (raw) => {
      if (!/^-?\d+$/.test(raw.trim())) return { ok: false, error: `must be an integer, got "${raw}"` };
      const n = Number(raw);
      if (opts.min !== undefined && n < opts.min) return { ok: false, error: `must be >= ${opts.min}` };
      if (opts.max !== undefined && n > opts.max) return { ok: false, error: `must be <= ${opts.max}` };
      return { ok: true, value: n };
    });
  },
  bool(opts: Opts<boolean>): FieldSpec<boolean> {
    return field(opts, (raw) => {
      const v = raw.trim().toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(v)) return { ok: true, value: true };
      if (['0', 'false', 'no', 'off'].includes(v)) return { ok: true, value: false };
      return { ok: false, error: `must be true or false, got "${raw}"` };
    });
  },
  url(opts: Opts<string> & { protocols?: readonly string[] }): FieldSpec<string> {
    return field(opts, (raw) => parseUrl(raw, opts.protocols));
  },
  optionalUrl(opts: Omit<Opts<string>, 'default'> & { protocols?: readonly string[] }): FieldSpec<string | undefined> {
    return field<string | undefined>(opts, (raw) => parseUrl(raw, opts.protocols), true);
  },
  oneOf<const V extends string>(opts: Opts<V> & { values: readonly V[] }): FieldSpec<V> {
    return field(opts, (raw) =>
      (opts.values as readonly string[]).includes(raw)
        ? { ok: true, value: raw as V }
        : { ok: false, error: `must be one of ${opts.values.join(', ')}, got "${raw}"` },
    );
  },
};

function parseUrl(
  raw: string,
  protocols: readonly string[] | undefined,
): { ok: true; value: string } | { ok: false; error: string } {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return { ok: false, error: `must be a URL, got "${raw}"` };
  }
  if (protocols && !protocols.includes(u.protocol.replace(/:$/, ''))) {
    return { ok: false, error: `must use ${protocols.join(' or ')}, got ${u.protocol}` };
  }
  return { ok: true, value: raw };
}

/** Reads `source` (default: process.env) against `spec`; throws ConfigError listing every bad key. */
export function loadConfig<T>(
  spec: ConfigSpec<T>,
  source: Readonly<Record<string, string | undefined>> = process.env,
): T {
  const out: Partial<Record<keyof T, unknown>> = {};
  const problems: string[] = [];
  for (const key of Object.keys(spec) as (keyof T & string)[]) {
    const f = spec[key];
    const raw = source[key];
    if (raw === undefined || raw === '') {
      if (f.fallback) out[key] = f.fallback();
      else problems.push(`${key} is required (${f.description})`);
      continue;
    }
    const r = f.parse(raw);
    if (r.ok) out[key] = r.value;
    else problems.push(`${key} ${r.error} (${f.description})`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return out as T;
}
