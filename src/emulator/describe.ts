/**
 * The text `kvdr emulator start` prints: every vault in both URL forms, the CA, how to authenticate (the
 * administrator's client credentials, the managed-identity environment for DefaultAzureCredential, configured
 * principals) and the control API with its token.
 */
import type { EmulatorHandle } from './emulator.js'

/**
 * A human-readable description of a running emulator. It prints the administrator's client secret and the control
 * token (what a person needs to connect); configured principals' secrets are printed only with `showSecrets`.
 */
export function describeEmulator(
  h: Pick<EmulatorHandle, 'vaults' | 'caPath' | 'port' | 'host' | 'dataDir' | 'stateDir' | 'authorityHost' | 'managedIdentity' | 'principals' | 'principal' | 'controlUrl' | 'controlToken'>,
  options: { auth?: 'entra' | 'none'; showSecrets?: boolean } = {},
): string {
  const first = h.vaults[0]
  const lines = ['kvdr Key Vault emulator is running. Stop it with Ctrl+C.', '', 'Vaults:']
  for (const v of h.vaults) {
    lines.push(
      `  ${v.name}  region ${v.region} (${v.geography}), subscription ${v.subscriptionId}, tenant ${v.tenantId}`,
      `    soft delete ${v.softDeleteRetentionDays} days, purge protection ${v.purgeProtection ? 'on' : 'off'} (${v.recoveryLevel}), ${v.permissionModel === 'rbac' ? 'Azure RBAC' : 'access policies'}`,
      `    ${v.hostUrl}   host-name form (challenge verification stays on)`,
      `    ${v.url}   localhost form (clients set disableChallengeResourceVerification)`,
    )
  }
  lines.push(
    '',
    `CA certificate: ${h.caPath}`,
    `Data directory: ${h.dataDir} (CA, server key, token signing key, backup world secret)`,
    h.stateDir === undefined ? 'State: in memory (use --state-dir to keep vaults across restarts)' : `State directory: ${h.stateDir} (vaults survive restarts)`,
    '',
  )
  const admin = h.principal(h.principals[0]?.name ?? '')
  if (first) {
    lines.push(
      'Point a client at it:',
      `  1. Trust the CA:        export NODE_EXTRA_CA_CERTS=${h.caPath}`,
      '  2a. Localhost form:     new SecretClient(',
      `        "${first.url}", credential, { disableChallengeResourceVerification: true })`,
      `  2b. Host-name form:     make ${first.name}.vault.azure.net resolve to ${h.host === '0.0.0.0' ? '127.0.0.1' : h.host} (an /etc/hosts line,`,
      '      or an https.Agent with a custom lookup passed as the client option "agent"), then',
      `        new SecretClient("${first.hostUrl}", credential)`,
    )
  }
  if (options.auth === 'none') {
    lines.push('  3. Credential:           INSECURE MODE (--no-auth): any bearer token is accepted and runs as the administrator.')
  } else {
    lines.push(
      '  3. Credential (tokens from the emulator\'s token service):',
      `     a. Client secret:     new ClientSecretCredential("${admin.tenantId}", "${admin.clientId}", "${admin.clientSecret ?? ''}",`,
      `          { authorityHost: "${h.authorityHost}", disableInstanceDiscovery: true })   # ${admin.name}, Key Vault Administrator`,
    )
    const identities = h.principals.filter((p) => p.type === 'managedIdentity')
    if (identities.length === 0) {
      lines.push('     b. DefaultAzureCredential as a managed identity: add one to the config (principals: type managedIdentity).')
    } else {
      lines.push(
        '     b. DefaultAzureCredential as a managed identity, with only these variables set:',
        `          AZURE_POD_IDENTITY_AUTHORITY_HOST=${h.managedIdentity.imds}   (IMDS form), or`,
        `          IDENTITY_ENDPOINT=${h.managedIdentity.appService} IDENTITY_HEADER=${h.managedIdentity.identityHeader}   (App Service form)`,
        identities.some((p) => p.systemAssigned)
          ? '          plus NODE_EXTRA_CA_CERTS above, and AZURE_CLIENT_ID=<client id> for a user-assigned identity.'
          : '          plus NODE_EXTRA_CA_CERTS above, and AZURE_CLIENT_ID=<client id> of a managed identity below (none is system-assigned).',
      )
    }
    const others = h.principals.slice(1)
    if (others.length > 0) {
      lines.push('     Principals:')
      for (const p of others) {
        const secret = p.type === 'servicePrincipal' ? `, secret ${options.showSecrets ? (h.principal(p.name).clientSecret ?? '') : '(hidden; --show-secrets prints it)'}` : p.systemAssigned ? ' (system-assigned)' : ''
        lines.push(`       ${p.name}: ${p.type}, client id ${p.clientId}, object id ${p.objectId}, tenant ${p.tenantId}${secret}`)
      }
    }
  }
  lines.push(
    '',
    `Control API: ${h.controlUrl}   Authorization: Bearer ${h.controlToken}`,
    `  e.g. kvdr emulator ctl GET /emulator/counters --url ${h.authorityHost} --token ${h.controlToken} --ca ${h.caPath}`,
    '  kvdr itself connects the same way: start it with NODE_EXTRA_CA_CERTS set and give it a vault URL above.',
  )
  return lines.join('\n')
}
