/**
 * The pieces a configuration schema is made of: a variable is declared once
 * (name, README default and meaning, parser with its bounds), and the config's
 * type, its reader and the README's table are all derived from the schema.
 * This file imports nothing of the service, so every module can declare its
 * own section of the schema here without importing src/config.ts back.
 */

/** Thrown for a setting that cannot be used; `message` is the whole story. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export type Env = Readonly<Record<string, string | undefined>>;

/** What every part of the schema may depend on besides its own variables. */
export interface ConfigContext {
  /** NODE_ENV=production: no development fallbacks for secrets. */
  readonly production: boolean;
}

/** One README row's worth of a variable. */
export interface VariableDoc {
  readonly env: string;
  /** The README's default column (Markdown). */
  readonly shown: string;
  /** The README's meaning column (Markdown), or SAME_ROW. */
  readonly doc: string;
}

/** `doc` of a variable that shares the README row of the variable declared just before it. */
export const SAME_ROW = '';

/** One property of the config: the variables it is read from (in README order) and how. */
export interface Entry<T> {
  readonly variables: readonly VariableDoc[];
  read(reader: EnvReader, context: ConfigContext): T;
}

/** An entry read from exactly one variable, with no context. */
export interface Variable<T> extends Entry<T>, VariableDoc {
  read(reader: EnvReader): T;
}

export type Schema = Readonly<Record<string, Entry<unknown>>>;

/** The config a schema reads: one readonly property per entry, of the type its parser returns. */
export type ConfigOf<S extends Schema> = { readonly [K in keyof S]: S[K] extends Entry<infer T> ? T : never };

/**
 * Reads every entry of `schema`, the `first` ones first, then in its order
 * (which is also the README's): with several bad variables, the first
 * entry read is the one the error names.
 */
export function readSchema<S extends Schema>(
  schema: S,
  reader: EnvReader,
  context: ConfigContext,
  first: readonly (keyof S & string)[] = [],
): ConfigOf<S> {
  const config: Record<string, unknown> = {};
  for (const key of [...first, ...Object.keys(schema)]) {
    if (!(key in config)) config[key] = schema[key]?.read(reader, context);
  }
  return config as ConfigOf<S>;
}

/** Every variable of `schema`, in its (the README's) order. */
export function variablesOf(schema: Schema): readonly VariableDoc[] {
  return Object.values(schema).flatMap((entry) => entry.variables);
}

/** A nested object of the config (a module's own section), read by its own schema. */
export function section<S extends Schema>(schema: S): Entry<ConfigOf<S>> {
  return { variables: variablesOf(schema), read: (reader, context) => readSchema(schema, reader, context) };
}

type Lazy<V extends Readonly<Record<string, Variable<unknown>>>> = { readonly [K in keyof V]: () => ReturnType<V[K]['read']> };

/**
 * A property made of several variables by a hand-written step (pairs that go
 * together, production-only requirements). `combine` reads each variable
 * through `get` only when it needs it, so a variable that does not apply
 * (the S3 endpoint with embedded storage) is not validated either.
 */
export function derived<const V extends Readonly<Record<string, Variable<unknown>>>, T>(
  vars: V,
  combine: (get: Lazy<V>, context: ConfigContext) => T,
): Entry<T> {
  return {
    variables: Object.values(vars),
    read(reader, context) {
      const get = Object.fromEntries(Object.entries(vars).map(([key, v]) => [key, () => v.read(reader)])) as Lazy<V>;
      return combine(get, context);
    },
  };
}

/** A variable's parser, not yet documented: `.doc()` makes it an entry of a schema. */
export interface Parser<T> {
  readonly env: string;
  read(reader: EnvReader): T;
  /**
   * `meaning`: the README's meaning column (or SAME_ROW); `shown`: its
   * default column, when the parser's own (the default value, or none) does
   * not say it.
   */
  doc(meaning: string, shown?: string): Variable<T>;
}

/** A variable with a hand-written parser; `shown` is the README's default column unless `.doc()` says otherwise. */
export function variable<T>(env: string, parse: (reader: EnvReader, env: string) => T, shown = 'none'): Parser<T> {
  const read = (reader: EnvReader) => parse(reader, env);
  return {
    env,
    read,
    doc(doc, override = shown) {
      const variable = { env, shown: override, doc };
      return { ...variable, variables: [variable], read };
    },
  };
}

const code = (value: string | number | boolean) => `\`${value}\``;

export const int = (env: string, fallback: number, min: number, max: number) =>
  variable(env, (read) => read.int(env, fallback, min, max), code(fallback));

export const port = (env: string, fallback: number) => variable(env, (read) => read.port(env, fallback), code(fallback));

export const bool = (env: string, fallback: boolean) => variable(env, (read) => read.bool(env, fallback), code(fallback));

export const string = (env: string, fallback: string) => variable(env, (read) => read.string(env, fallback), code(fallback));

/** A string that may be unset (undefined). */
export const optional = (env: string) => variable(env, (read) => read.optional(env));

/** A URL with one of `protocols` (`'https:'`), or undefined when unset. */
export const url = (env: string, protocols: readonly string[]) => variable(env, (read) => read.url(env, protocols));

/** Comma-separated URLs, each with one of `protocols`; empty when unset. */
export const urls = (env: string, protocols: readonly string[]) => variable(env, (read): readonly string[] => read.urls(env, protocols));

export const oneOf = <const T extends string>(env: string, allowed: readonly T[], fallback: T) =>
  variable(env, (read) => read.oneOf(env, allowed, fallback), code(fallback));

/** The README's configuration table for `schema`: a row per variable, or per run of SAME_ROW variables. */
export function renderConfigTable(schema: Schema): string {
  const rows: { envs: string[]; shown: string[]; doc: string }[] = [];
  for (const v of variablesOf(schema)) {
    const last = rows.at(-1);
    if (v.doc !== SAME_ROW) rows.push({ envs: [v.env], shown: [v.shown], doc: v.doc });
    else if (last === undefined) throw new Error(`${v.env} shares the row of a variable before it, and there is none`);
    else {
      last.envs.push(v.env);
      last.shown.push(v.shown);
    }
  }
  const lines = ['| variable | default | meaning |', '|---|---|---|'];
  for (const row of rows) {
    const shown = new Set(row.shown).size === 1 ? row.shown[0] : row.shown.join(', ');
    lines.push(`| ${row.envs.map(code).join(', ')} | ${shown} | ${row.doc} |`);
  }
  return `${lines.join('\n')}\n`;
}

/** Reads and validates single variables; each error names the variable. */
export class EnvReader {
  constructor(private readonly env: Env) {}

  optional(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value === '' ? undefined : value;
  }

  bool(name: string, fallback: boolean): boolean {
    const value = this.optional(name)?.toLowerCase();
    if (value === undefined) return fallback;
    if (value === 'true' || value === '1') return true;
    if (value === 'false' || value === '0') return false;
    throw new ConfigError(`${name}=${JSON.stringify(value)} must be true or false`);
  }

  string(name: string, fallback: string): string {
    return this.optional(name) ?? fallback;
  }

  int(name: string, fallback: number, min: number, max: number): number {
    const value = this.optional(name);
    if (value === undefined) return fallback;
    const n = Number(value);
    if (!/^\d+$/.test(value) || n < min || n > max) {
      throw new ConfigError(`${name}=${JSON.stringify(value)} is not a whole number from ${min} to ${max}`);
    }
    return n;
  }

  port(name: string, fallback: number): number {
    return this.int(name, fallback, 0, 65535);
  }

  url(name: string, protocols: readonly string[]): string | undefined {
    const value = this.optional(name);
    if (value === undefined) return undefined;
    let protocol: string;
    try {
      protocol = new URL(value).protocol;
    } catch {
      throw new ConfigError(`${name} is not a valid URL`);
    }
    if (!protocols.includes(protocol)) {
      throw new ConfigError(`${name} must start with ${protocols.map((p) => `${p}//`).join(' or ')}`);
    }
    return value;
  }

  urls(name: string, protocols: readonly string[]): string[] {
    const value = this.optional(name);
    if (value === undefined) return [];
    return value.split(',').map((part, i) => {
      const url = new EnvReader({ [`${name}[${i}]`]: part }).url(`${name}[${i}]`, protocols);
      if (url === undefined) throw new ConfigError(`${name} has an empty entry at position ${i}`);
      return url;
    });
  }

  oneOf<const T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const value = this.optional(name);
    if (value === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(value)) {
      throw new ConfigError(`${name}=${JSON.stringify(value)} must be one of ${allowed.join(', ')}`);
    }
    return value as T;
  }
}
