/** The text `kvdr emulator start` prints: every vault in both URL forms, the CA, and how to point a client at it. */
import type { EmulatorHandle } from './emulator.js'

/** A human-readable description of a running emulator. Contains no secrets. */
export function describeEmulator(h: Pick<EmulatorHandle, 'vaults' | 'caPath' | 'port' | 'host' | 'dataDir'>): string {
  const first = h.vaults[0]
  const lines = ['kvdr Key Vault emulator is running. Stop it with Ctrl+C.', '', 'Vaults:']
  for (const v of h.vaults) {
    lines.push(
      `  ${v.name}  region ${v.region} (${v.geography}), subscription ${v.subscriptionId}, tenant ${v.tenantId}`,
      `    soft delete ${v.softDeleteRetentionDays} days, purge protection ${v.purgeProtection ? 'on' : 'off'} (${v.recoveryLevel})`,
      `    ${v.hostUrl}   host-name form (challenge verification stays on)`,
      `    ${v.url}   localhost form (clients set disableChallengeResourceVerification)`,
    )
  }
  lines.push('', `CA certificate: ${h.caPath}`, `Data directory: ${h.dataDir} (CA, server key, backup world secret)`, '')
  if (first) {
    lines.push(
      'Point a client at it:',
      `  1. Trust the CA:        export NODE_EXTRA_CA_CERTS=${h.caPath}`,
      '  2a. Localhost form:     new SecretClient(',
      `        "${first.url}", credential, { disableChallengeResourceVerification: true })`,
      `  2b. Host-name form:     make ${first.name}.vault.azure.net resolve to ${h.host === '0.0.0.0' ? '127.0.0.1' : h.host} (an /etc/hosts line,`,
      '      or an https.Agent with a custom lookup passed as the client option "agent"), then',
      `        new SecretClient("${first.hostUrl}", credential)`,
      '  3. Credential:           any bearer token is accepted. @azure/identity credentials must allow the vault tenant',
      '      named in the challenge (additionallyAllowedTenants: ["*"]), or use a fake TokenCredential.',
      '  kvdr itself connects the same way: start it with NODE_EXTRA_CA_CERTS set and give it a vault URL above.',
    )
  }
  return lines.join('\n')
}
