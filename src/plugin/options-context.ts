/** The `auth:` section as plugins see it. */
export interface AuthSettings {
  /** HS256 key of subscriber and API tokens; unset when the configuration has none. */
  secret?: string;
}

/** What a plugin's `validate` and `resolve` are told about the instance and the configuration. */
export interface OptionsContext {
  instance: string;
  /** Resolve a path from the options: relative paths start at the config file's folder. */
  resolve(path: string): string;
  auth?: Readonly<AuthSettings>;
  /** False when `http.enabled: false`: plugins that serve HTTP routes cannot work. */
  httpEnabled?: boolean;
}
