// Egress for `network.egress: allowlist` sandboxes: the host-side proxy, the allowlist rules,
// and the in-sandbox bridge that reaches the proxy over a bound Unix socket.
export {
  canonicalHost,
  isDomainAllowed,
  isIpLiteral,
  isValidDomainPattern,
  matchesDomainPattern,
} from './allowlist.ts';
export {
  DialFailure,
  type EgressEvent,
  EgressProtocol,
  type HostService,
} from './egress-dialer.ts';
export {
  DEFAULT_EGRESS_LIMITS,
  type EgressLimits,
  type EgressProxy,
  type EgressProxyOptions,
  startEgressProxy,
} from './egress-proxy.ts';
export {
  BRIDGE_HTTP_PORT,
  BRIDGE_SOCKS_PORT,
  type BridgeOptions,
  bridgeCommands,
  EGRESS_SOCKET_NAME,
  proxyEnv,
  SANDBOX_EGRESS_DIR,
  SANDBOX_EGRESS_SOCKET,
  withEgressBridge,
} from './sandbox-bridge.ts';
