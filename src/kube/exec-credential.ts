/**
 * The client.authentication.k8s.io ExecCredential that kubectl reads from a credential plugin's
 * stdout, and the KUBERNETES_EXEC_INFO it passes in.
 */
import { formatTimestamp } from '../util/utc';

const EXEC_API_VERSIONS = [
  'client.authentication.k8s.io/v1',
  'client.authentication.k8s.io/v1beta1',
  // Removed in kubectl 1.24; answered only when an older kubectl asks for it.
  'client.authentication.k8s.io/v1alpha1',
] as const;
export type ExecApiVersion = (typeof EXEC_API_VERSIONS)[number];

/** Without KUBERNETES_EXEC_INFO kubectl cannot have asked; v1beta1 is what every kubectl since 1.11 reads. */
export const DEFAULT_EXEC_API_VERSION: ExecApiVersion = 'client.authentication.k8s.io/v1beta1';

export interface ExecInfo {
  apiVersion: ExecApiVersion;
  /** spec.interactive: kubectl's stdin is a terminal and interactiveMode allows prompting. */
  interactive: boolean | undefined;
  /** Set when KUBERNETES_EXEC_INFO was present but unusable; the caller warns. */
  problem?: string;
}

/** Parses KUBERNETES_EXEC_INFO. Never throws: a garbled value means v1beta1 and a warning. */
export function parseExecInfo(raw: string | undefined): ExecInfo {
  if (raw === undefined || raw.trim() === '') return { apiVersion: DEFAULT_EXEC_API_VERSION, interactive: undefined };
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return {
      apiVersion: DEFAULT_EXEC_API_VERSION,
      interactive: undefined,
      problem: 'KUBERNETES_EXEC_INFO is not JSON',
    };
  }
  const info = (parsed ?? {}) as { apiVersion?: unknown; spec?: { interactive?: unknown } };
  const interactive = typeof info.spec?.interactive === 'boolean' ? info.spec.interactive : undefined;
  if (typeof info.apiVersion === 'string' && (EXEC_API_VERSIONS as readonly string[]).includes(info.apiVersion)) {
    return { apiVersion: info.apiVersion as ExecApiVersion, interactive };
  }
  const asked = typeof info.apiVersion === 'string' ? `"${info.apiVersion.slice(0, 80)}"` : 'no apiVersion';
  return {
    apiVersion: DEFAULT_EXEC_API_VERSION,
    interactive,
    problem: `KUBERNETES_EXEC_INFO asks for ${asked}, which eks-auth does not know`,
  };
}

/** The ExecCredential JSON document (one line, newline-terminated). */
export function formatExecCredential(apiVersion: ExecApiVersion, token: string, expiration: Date): string {
  return `${JSON.stringify({
    kind: 'ExecCredential',
    apiVersion,
    spec: {},
    status: { expirationTimestamp: formatTimestamp(expiration), token },
  })}\n`;
}
