import { homedir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  ErrorCode,
  type FieldIssue,
  fieldIssues,
  NamespaceName,
  PaddockError,
  SYSTEM_NAMESPACE,
} from '@paddock/core';
import { z } from 'zod';
import { LOCAL_GATEWAY } from './run-services.ts';
import { selfSignedFiles } from './tls-files.ts';
import { DEFAULT_WEB_DIR } from './web-ui.ts';

export const DEFAULT_ADDR = '127.0.0.1:7070';

const Addr = z
  .string()
  .regex(/^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'must be HOST:PORT, e.g. 127.0.0.1:7070')
  .transform((value, ctx) => {
    const colon = value.lastIndexOf(':');
    const port = Number(value.slice(colon + 1));
    if (port > 65535) ctx.addIssue({ code: 'custom', message: 'port must be 0-65535' });
    return { host: value.slice(0, colon).replace(/^\[|\]$/g, ''), port };
  });

const PositiveInt = z.coerce.number().int().positive();

/** Requests per second, as documented: `50/s`, or plain `50`. */
const RatePerSec = z
  .string()
  .regex(/^\s*\d+(\.\d+)?\s*(\/\s*s)?\s*$/, 'must be requests per second, such as 50/s or 50')
  .transform((text) => Number(text.replace(/\/\s*s\s*$/, '')))
  .pipe(z.number().positive('must be more than 0 requests per second'));
const CommaList = z
  .string()
  .transform((text) => text.split(',').map((part) => part.trim()))
  .pipe(z.array(z.string().min(1)).min(1));

const ServerConfig = z
  .strictObject({
    addr: Addr,
    /** The preview listener (sandbox previews on their own origin); default: the API's host, port 0. */
    previewAddr: Addr.optional(),
    home: z.string().min(1, 'must not be empty'),
    /** `required`: every API route needs a credential; `none`: anonymous admin on loopback only. */
    auth: z.enum(['none', 'required']).optional(),
    oidcIssuer: z.url().optional(),
    oidcAudience: CommaList.optional(),
    oidcJwksUrl: z.url().optional(),
    /** The public OIDC client of the web UI's "Sign in with SSO" (authorization code + PKCE). */
    oidcClientId: z.string().min(1, 'must not be empty').optional(),
    /** The scopes the web UI asks for, space-separated. */
    oidcScopes: z.string().trim().min(1, 'must not be empty').default('openid profile email'),
    /** A `pdk_…` key installed as an admin key at start when no key exists (else one is printed). */
    bootstrapAdminKey: z
      .string()
      .regex(/^pdk_[A-Za-z0-9_-]{43}$/, 'must be a Paddock API key (pdk_ + 43 characters)')
      .optional(),
    maxBodyBytes: PositiveInt.default(1024 * 1024),
    /** Token bucket per principal: sustained requests per second and burst size. */
    rateLimitPerSec: RatePerSec.default(50),
    rateLimitBurst: PositiveInt.default(100),
    /** Audit records older than this many days are pruned at start and daily. */
    auditRetentionDays: PositiveInt.default(90),
    /** How long a dropped terminal keeps its shell (and buffers output) for a reconnect. */
    terminalReconnectMs: z.coerce.number().int().min(0).default(30_000),
    /** Where the LLM gateway forwards Anthropic Messages calls (without `/v1`). */
    anthropicBaseUrl: z.url({ protocol: /^https?$/ }).default('https://api.anthropic.com'),
    /** Where it forwards OpenAI-compatible calls (with `/v1`): OpenAI, LiteLLM, Ollama, vLLM. */
    openaiBaseUrl: z.url({ protocol: /^https?$/ }).default('https://api.openai.com/v1'),
    /** The built web UI, served at `/`. */
    webDir: z.string().min(1).default(DEFAULT_WEB_DIR),
    /**
     * Run on a Kubernetes cluster (`paddock server`): a kubeconfig file (its current context), or
     * the pod's service account with `inCluster` (a kubeconfig given wins). Neither: this machine.
     */
    kubeconfig: z.string().min(1, 'must not be empty').optional(),
    /**
     * Where audit, API keys, run transcripts and usage live: `postgres://…` for several
     * replicas sharing one database; SQLite in `home` when absent.
     */
    database: z
      .string()
      .regex(/^postgres(ql)?:\/\/\S+$/, 'must be a postgres:// URL')
      .optional(),
    inCluster: z
      .enum(['true', 'false'], { message: 'must be true or false' })
      .transform((value) => value === 'true')
      .default(false),
    /** On a cluster: the namespace whose Secrets hold the credentials (the server's own). */
    credentialsNamespace: NamespaceName.default(SYSTEM_NAMESPACE),
    /**
     * The LLM gateway's listener. Default: loopback, any free port, on one machine (sandboxes
     * reach it through their egress proxy); `0.0.0.0:8081` on a cluster, where sandbox pods reach
     * it through the Service `paddock-gateway` (`paddock install` renders it).
     */
    gatewayAddr: Addr.optional(),
    /**
     * The gateway's URL as sandboxes reach it, handed to every run. Default: the host service
     * `http://gateway.paddock.internal` on one machine; on a cluster
     * `http://paddock-gateway.<credentials namespace>.svc:<gateway port>`.
     */
    gatewayUrl: z.url({ protocol: /^https?$/ }).optional(),
    /**
     * The API listener's certificate (chain) and private key, PEM files: given both, it serves
     * https (REST, web UI, terminal, SSE, /mcp, /e2b, the Kubernetes API). Both or neither.
     */
    tlsCert: z.string().min(1, 'must not be empty').optional(),
    tlsKey: z.string().min(1, 'must not be empty').optional(),
    /**
     * Serve https with a certificate made by `openssl` into `home/tls/` on first start (a
     * certificate given with `tlsCert` and `tlsKey` wins).
     */
    tlsSelfSigned: z
      .enum(['true', 'false'], { message: 'must be true or false' })
      .transform((value) => value === 'true')
      .default(false),
    /** Provider keys, from the environment only (a flag would show in the process list). */
    anthropicApiKey: z.string().min(1).optional(),
    openaiApiKey: z.string().min(1).optional(),
  })
  .superRefine((config, ctx) => {
    if ((config.oidcIssuer === undefined) !== (config.oidcAudience === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [config.oidcIssuer === undefined ? 'oidcIssuer' : 'oidcAudience'],
        message: 'OIDC needs both an issuer and an audience',
      });
    }
    if (config.oidcClientId !== undefined && config.oidcIssuer === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['oidcClientId'],
        message: 'an OIDC client id needs --oidc-issuer and --oidc-audience',
      });
    }
    if ((config.tlsCert === undefined) !== (config.tlsKey === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [config.tlsCert === undefined ? 'tlsCert' : 'tlsKey'],
        message:
          config.tlsCert === undefined
            ? 'a TLS key needs its certificate too'
            : 'a TLS certificate needs its private key too',
      });
    }
  })
  .transform(({ auth, previewAddr, gatewayAddr, gatewayUrl, tlsCert, tlsKey, ...config }) => ({
    ...config,
    /** The API listener's certificate and key files when it serves https (`readTlsFiles`). */
    tls:
      tlsCert !== undefined && tlsKey !== undefined
        ? { certFile: tlsCert, keyFile: tlsKey, isSelfSigned: false }
        : config.tlsSelfSigned
          ? selfSignedFiles(config.home)
          : undefined,
    previewAddr: previewAddr ?? { host: config.addr.host, port: 0 },
    gateway: gatewaySettings(config, gatewayAddr, gatewayUrl),
    /** Auth is required when asked for, or implied by OIDC or a bootstrap key. */
    isAuthRequired:
      auth === 'required' ||
      (auth === undefined &&
        (config.oidcIssuer !== undefined || config.bootstrapAdminKey !== undefined)),
  }));
export type ServerConfig = z.output<typeof ServerConfig>;

/** Where the gateway of a cluster's server listens unless `--gateway-addr` says otherwise. */
export const CLUSTER_GATEWAY_PORT = 8081;

/**
 * The gateway's listener and the URL runs are given: defaults by where sandboxes run (loopback
 * and the host service on one machine; every interface and the Service's DNS name on a cluster).
 */
function gatewaySettings(
  config: { kubeconfig?: string | undefined; inCluster: boolean; credentialsNamespace: string },
  addr: { host: string; port: number } | undefined,
  url: string | undefined,
) {
  const isCluster = config.kubeconfig !== undefined || config.inCluster;
  const listen =
    addr ?? (isCluster ? { host: '0.0.0.0', port: CLUSTER_GATEWAY_PORT } : LOCAL_GATEWAY.addr);
  const clusterUrl = `http://paddock-gateway.${config.credentialsNamespace}.svc:${listen.port}`;
  return {
    addr: listen,
    url: (url ?? (isCluster ? clusterUrl : LOCAL_GATEWAY.url)).replace(/\/+$/, ''),
  };
}

/** The `parseArgs` options of `paddock up`: every flag takes a value. */
export const FLAG_OPTIONS = {
  addr: { type: 'string' },
  'preview-addr': { type: 'string' },
  home: { type: 'string' },
  auth: { type: 'string' },
  'oidc-issuer': { type: 'string' },
  'oidc-audience': { type: 'string' },
  'oidc-jwks-url': { type: 'string' },
  'oidc-client-id': { type: 'string' },
  'oidc-scopes': { type: 'string' },
  'max-body-bytes': { type: 'string' },
  'rate-limit': { type: 'string' },
  'rate-burst': { type: 'string' },
  'audit-retention-days': { type: 'string' },
  'web-dir': { type: 'string' },
  'anthropic-base-url': { type: 'string' },
  'openai-base-url': { type: 'string' },
  'terminal-reconnect-ms': { type: 'string' },
  kubeconfig: { type: 'string' },
  'in-cluster': { type: 'string' },
  database: { type: 'string' },
  'credentials-namespace': { type: 'string' },
  'gateway-addr': { type: 'string' },
  'gateway-url': { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'tls-self-signed': { type: 'string' },
} as const;

export type ServerFlags = { [F in keyof typeof FLAG_OPTIONS]?: string | undefined };

type SettingName = keyof z.input<typeof ServerConfig>;
type Source = { flag?: keyof typeof FLAG_OPTIONS; env: string };

/**
 * Where each setting comes from: its flag (provider keys and the bootstrap key have none: a flag
 * would show in the process list) and its environment variable.
 */
export const SETTING_SOURCES = {
  addr: { flag: 'addr', env: 'PADDOCK_ADDR' },
  previewAddr: { flag: 'preview-addr', env: 'PADDOCK_PREVIEW_ADDR' },
  home: { flag: 'home', env: 'PADDOCK_HOME' },
  auth: { flag: 'auth', env: 'PADDOCK_AUTH' },
  oidcIssuer: { flag: 'oidc-issuer', env: 'PADDOCK_OIDC_ISSUER' },
  oidcAudience: { flag: 'oidc-audience', env: 'PADDOCK_OIDC_AUDIENCE' },
  oidcJwksUrl: { flag: 'oidc-jwks-url', env: 'PADDOCK_OIDC_JWKS_URL' },
  oidcClientId: { flag: 'oidc-client-id', env: 'PADDOCK_OIDC_CLIENT_ID' },
  oidcScopes: { flag: 'oidc-scopes', env: 'PADDOCK_OIDC_SCOPES' },
  bootstrapAdminKey: { env: 'PADDOCK_BOOTSTRAP_ADMIN_KEY' },
  maxBodyBytes: { flag: 'max-body-bytes', env: 'PADDOCK_MAX_BODY_BYTES' },
  rateLimitPerSec: { flag: 'rate-limit', env: 'PADDOCK_RATE_LIMIT' },
  rateLimitBurst: { flag: 'rate-burst', env: 'PADDOCK_RATE_BURST' },
  auditRetentionDays: { flag: 'audit-retention-days', env: 'PADDOCK_AUDIT_RETENTION_DAYS' },
  terminalReconnectMs: { flag: 'terminal-reconnect-ms', env: 'PADDOCK_TERMINAL_RECONNECT_MS' },
  webDir: { flag: 'web-dir', env: 'PADDOCK_WEB_DIR' },
  anthropicBaseUrl: { flag: 'anthropic-base-url', env: 'PADDOCK_ANTHROPIC_BASE_URL' },
  openaiBaseUrl: { flag: 'openai-base-url', env: 'PADDOCK_OPENAI_BASE_URL' },
  kubeconfig: { flag: 'kubeconfig', env: 'PADDOCK_KUBECONFIG' },
  inCluster: { flag: 'in-cluster', env: 'PADDOCK_IN_CLUSTER' },
  database: { flag: 'database', env: 'PADDOCK_DATABASE' },
  credentialsNamespace: { flag: 'credentials-namespace', env: 'PADDOCK_CREDENTIALS_NAMESPACE' },
  gatewayAddr: { flag: 'gateway-addr', env: 'PADDOCK_GATEWAY_ADDR' },
  gatewayUrl: { flag: 'gateway-url', env: 'PADDOCK_GATEWAY_URL' },
  tlsCert: { flag: 'tls-cert', env: 'PADDOCK_TLS_CERT' },
  tlsKey: { flag: 'tls-key', env: 'PADDOCK_TLS_KEY' },
  tlsSelfSigned: { flag: 'tls-self-signed', env: 'PADDOCK_TLS_SELF_SIGNED' },
  anthropicApiKey: { env: 'ANTHROPIC_API_KEY' },
  openaiApiKey: { env: 'OPENAI_API_KEY' },
} as const satisfies Record<SettingName, Source>;

const DEFAULTS: Partial<Record<SettingName, () => string>> = {
  addr: () => DEFAULT_ADDR,
  home: () => join(homedir(), '.paddock'),
};

export type ConfigSources = { flags: ServerFlags; env: NodeJS.ProcessEnv };

/** `validation_failed` naming every issue: `invalid {what}: --rate-limit: …; PADDOCK_HOME: …`. */
function invalid(what: string, issues: FieldIssue[]): PaddockError {
  const summary = issues.map((i) => `${i.path}: ${i.message}`).join('; ');
  return new PaddockError(ErrorCode.ValidationFailed, `invalid ${what}: ${summary}`, { issues });
}

/**
 * Resolves configuration once at start: flag > env > default. A bad value fails listing every
 * problem, each named by where it came from (`--rate-limit`, `PADDOCK_RATE_LIMIT`).
 */
export function resolveConfig({ flags, env }: ConfigSources): ServerConfig {
  const raw: Record<string, string> = {};
  const origin = new Map<string, string>();
  for (const [name, source] of Object.entries(SETTING_SOURCES) as [SettingName, Source][]) {
    const fromFlag = source.flag === undefined ? undefined : flags[source.flag];
    const value = fromFlag ?? env[source.env] ?? DEFAULTS[name]?.();
    if (value === undefined) continue;
    raw[name] = value;
    origin.set(name, fromFlag === undefined ? source.env : `--${source.flag}`);
  }
  const parsed = ServerConfig.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issues = fieldIssues(parsed.error).map(({ path, message }) => {
    const [name = '', ...rest] = path.split('.');
    const source: Source | undefined = SETTING_SOURCES[name as SettingName];
    const where =
      origin.get(name) ??
      (source === undefined
        ? name
        : [source.flag && `--${source.flag}`, source.env].filter(Boolean).join(' / '));
    return { path: [where, ...rest].join('.'), message };
  });
  throw invalid('configuration', issues);
}

/** What `paddock up --help` prints: every flag with its environment variable. */
export function serverUsage(): string {
  const rows = Object.values(SETTING_SOURCES).map(({ flag, env }: Source) =>
    flag === undefined
      ? `  ${'(environment only)'.padEnd(26)}${env}`
      : `  --${flag.padEnd(24)}${env}`,
  );
  return `Usage: paddock up [--FLAG VALUE]…

Starts Paddock on this machine. Each setting comes from its flag, else its environment
variable, else its default (docs/server.md lists them all).

${rows.join('\n')}

Example:
  paddock up --addr 127.0.0.1:7070 --rate-limit 50/s
`;
}

/**
 * `paddock up`'s arguments as flags, or `help` for `--help` / `-h`. Unknown flags, flags without
 * a value and stray arguments are `validation_failed`, all named at once.
 */
export function parseServerArgs(args: readonly string[]): ServerFlags | 'help' {
  const { tokens } = parseArgs({
    args: [...args],
    options: { ...FLAG_OPTIONS, help: { type: 'boolean', short: 'h' } },
    allowPositionals: true,
    strict: false,
    tokens: true,
  });
  const flags: Record<string, string> = {};
  const issues: FieldIssue[] = [];
  let isHelp = false;
  for (const token of tokens) {
    if (token.kind === 'positional') {
      issues.push({ path: token.value, message: 'paddock up takes no arguments' });
    } else if (token.kind === 'option' && token.name === 'help') isHelp = true;
    else if (token.kind === 'option' && !Object.hasOwn(FLAG_OPTIONS, token.name)) {
      issues.push({ path: token.rawName, message: 'unknown flag of paddock up' });
    } else if (
      token.kind === 'option' &&
      (token.name === 'in-cluster' || token.name === 'tls-self-signed') &&
      token.value === undefined
    ) {
      flags[token.name] = 'true';
    } else if (token.kind === 'option' && token.value === undefined) {
      issues.push({ path: token.rawName, message: 'needs a value' });
    } else if (token.kind === 'option' && token.value !== undefined) {
      flags[token.name] = token.value;
    }
  }
  if (isHelp) return 'help';
  if (issues.length > 0) throw invalid('arguments', issues);
  return flags;
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Without authentication, only a loopback bind is safe (anonymous admin). */
export function assertSafeBinding(config: ServerConfig): void {
  if (!config.isAuthRequired && !isLoopback(config.addr.host)) {
    throw new PaddockError(
      ErrorCode.Forbidden,
      `refusing to listen on ${config.addr.host}: authentication is not configured, so Paddock only binds to a loopback address (127.0.0.1, ::1, localhost); pass --auth required or --oidc-issuer/--oidc-audience to listen elsewhere`,
    );
  }
}

/**
 * The gateway's upstreams: each provider's URL and its key from the environment (looked up on
 * every call). The engine puts the `anthropic` / `openai` credentials of `paddock-system` in
 * front of these keys (see `withCredentialKeys`).
 */
export function upstreamsOf(config: ServerConfig) {
  return {
    anthropic: { baseUrl: config.anthropicBaseUrl, apiKey: async () => config.anthropicApiKey },
    openai: { baseUrl: config.openaiBaseUrl, apiKey: async () => config.openaiApiKey },
  };
}
