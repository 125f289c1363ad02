import { X509Certificate } from 'node:crypto';
import type { Principal } from '@paddock/control';
import { isLoopback } from '../config.ts';
import { PREVIEW_DOMAIN, PREVIEW_TOKEN_PARAM, previewHostLabel } from './preview-path.ts';
import { type PreviewScope, type PreviewSigner, PreviewUse } from './preview-token.ts';

/** Where the preview listener is bound (its real port, after binding port 0). */
export type PreviewAddress = { host: string; port: number };

const WILDCARD: ReadonlySet<string> = new Set(['0.0.0.0', '::', '']);

function bracketed(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * Whether a certificate covers every preview host `{label}.preview.localhost` (a SAN
 * `*.preview.localhost`, as `--tls-self-signed` makes).
 */
export function coversPreviewHosts(certPem: string): boolean {
  return new X509Certificate(certPem).checkHost(`any.${PREVIEW_DOMAIN}`) !== undefined;
}

/**
 * Hands out preview URLs: absolute, on the preview listener, carrying a signed token good for 5
 * minutes and for one port of one sandbox, for the caller who asked. On a loopback listener each
 * port gets its own origin, `http://{port}--{name}--{ns}.preview.localhost:{previewPort}/`;
 * elsewhere (or when the names do not fit a host label) the path fallback
 * `http://{host}:{previewPort}/preview/{ns}/{name}/{port}/`, where all previews share one origin.
 * With `certPem` (the listener serves https with it) every URL is `https://`, and the host form
 * is used only when the certificate covers `*.preview.localhost`.
 */
export class PreviewLinks {
  readonly #signer: PreviewSigner;
  readonly #address: PreviewAddress;
  readonly #scheme: 'http' | 'https';
  readonly #hasHostForm: boolean;

  constructor(signer: PreviewSigner, address: PreviewAddress, certPem?: string) {
    this.#signer = signer;
    this.#address = address;
    this.#scheme = certPem === undefined ? 'http' : 'https';
    this.#hasHostForm =
      isLoopback(address.host) && (certPem === undefined || coversPreviewHosts(certPem));
  }

  /** Whether the preview listener serves https (its session cookies are then `Secure`). */
  get isSecure(): boolean {
    return this.#scheme === 'https';
  }

  /** The listener's base URL (`http://host:port`, or `https://`), as printed at start. */
  get origin(): string {
    return `${this.#scheme}://${bracketed(this.#address.host)}:${this.#address.port}`;
  }

  /**
   * A preview URL for `principal`. `apiHost` is the `Host` the API request arrived with: it names
   * the machine when the preview listener is bound to every interface.
   */
  urlFor(
    principal: Principal,
    target: Omit<PreviewScope, 'mode'>,
    apiHost: string | undefined,
    nowMs: number,
  ): string {
    const label = this.#hasHostForm ? previewHostLabel(target) : undefined;
    const mode = label === undefined ? 'path' : 'host';
    const token = this.#signer.sign(principal, { ...target, mode }, PreviewUse.Exchange, nowMs);
    const query = `?${PREVIEW_TOKEN_PARAM}=${token}`;
    if (label !== undefined) {
      return `${this.#scheme}://${label}.${PREVIEW_DOMAIN}:${this.#address.port}/${query}`;
    }
    const apiHostname = (apiHost ?? '').replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
    const host = WILDCARD.has(this.#address.host) ? apiHostname || 'localhost' : this.#address.host;
    const ns = encodeURIComponent(target.namespace);
    const name = encodeURIComponent(target.name);
    return `${this.#scheme}://${bracketed(host)}:${this.#address.port}/preview/${ns}/${name}/${target.port}/${query}`;
  }
}
