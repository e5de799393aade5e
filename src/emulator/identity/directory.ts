/**
 * The emulator's directory: the principals that can obtain tokens (service principals with a client secret,
 * managed identities) and the built-in administrator every emulator has. Ids not given in the configuration are
 * derived from the principal's name, and client secrets from the emulator's world secret, so they are stable
 * across restarts of the same data directory and cannot be guessed from the configuration.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto'

/** A principal as configured (config file or `startEmulator` options). */
export interface PrincipalDefinition {
  /** Display name; also how role assignments and access policies refer to it. Unique, case-insensitive. */
  name: string
  /** `servicePrincipal` (client id + secret, the default) or `managedIdentity` (tokens from the identity endpoint). */
  type?: 'servicePrincipal' | 'managedIdentity'
  /** Application (client) id; default derived from the name. */
  clientId?: string
  /** Object id (the `oid` claim, what RBAC and access policies match); default derived from the name. */
  objectId?: string
  /** Home tenant; default the emulator's default tenant. */
  tenantId?: string
  /** Client secret of a service principal; default derived from the world secret (printed by `kvdr emulator start`). */
  clientSecret?: string
  /** For one managed identity: it answers requests that name no identity (a system-assigned identity). */
  systemAssigned?: boolean
}

/** A resolved principal. */
export interface DirectoryPrincipal {
  name: string
  type: 'servicePrincipal' | 'managedIdentity'
  clientId: string
  objectId: string
  tenantId: string
  /** Service principals only. */
  clientSecret?: string
  systemAssigned: boolean
  /** True for the built-in administrator (valid in every tenant). */
  admin: boolean
}

/** Display name of the built-in administrator principal. */
export const ADMIN_PRINCIPAL_NAME = 'kvdr-emulator-admin'

/** A GUID derived from `text` (name-based, stable). */
export function derivedGuid(text: string): string {
  const h = createHash('sha256').update(`kvdr-emulator/${text}`).digest()
  h[6] = ((h[6] as number) & 0x0f) | 0x50
  h[8] = ((h[8] as number) & 0x3f) | 0x80
  const x = h.subarray(0, 16).toString('hex')
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`
}

export class Directory {
  private readonly byName = new Map<string, DirectoryPrincipal>()

  /**
   * A directory of `principals` (validated, ids filled in, the built-in administrator first). `worldSecret` seeds
   * the client secrets that are not configured.
   */
  constructor(principals: readonly (PrincipalDefinition & { clientId: string; objectId: string; tenantId: string })[], worldSecret: Uint8Array) {
    const secretFor = (name: string): string => createHmac('sha256', worldSecret).update(`client-secret/${name.toLowerCase()}`).digest('base64url').slice(0, 40)
    for (const d of principals) {
      const type = d.type ?? 'servicePrincipal'
      this.byName.set(d.name.toLowerCase(), {
        name: d.name,
        type,
        clientId: d.clientId,
        objectId: d.objectId,
        tenantId: d.tenantId,
        ...(type === 'servicePrincipal' ? { clientSecret: d.clientSecret ?? secretFor(d.name) } : {}),
        systemAssigned: d.systemAssigned === true,
        admin: d.name === ADMIN_PRINCIPAL_NAME,
      })
    }
    if (!this.byName.has(ADMIN_PRINCIPAL_NAME)) throw new Error('the directory needs the built-in administrator')
  }

  /** Every principal, the administrator first. */
  list(): DirectoryPrincipal[] {
    return [...this.byName.values()]
  }

  get admin(): DirectoryPrincipal {
    return this.byName.get(ADMIN_PRINCIPAL_NAME) as DirectoryPrincipal
  }

  /** A principal by name, client id or object id (case-insensitive). */
  find(ref: string): DirectoryPrincipal | undefined {
    const r = ref.toLowerCase()
    return this.byName.get(r) ?? this.list().find((p) => p.clientId === r || p.objectId === r)
  }

  /** The service principal `clientId` as it authenticates to `tenantId`; undefined when it does not exist there. */
  servicePrincipal(clientId: string, tenantId: string): DirectoryPrincipal | undefined {
    const p = this.list().find((x) => x.type === 'servicePrincipal' && x.clientId === clientId.toLowerCase())
    return p && (p.admin || p.tenantId === tenantId.toLowerCase()) ? p : undefined
  }

  /** The managed identity a managed-identity endpoint request names (client id, object id or ARM resource id), or the system-assigned one. */
  managedIdentity(selector: { clientId?: string; objectId?: string; resourceId?: string }): DirectoryPrincipal | undefined {
    const mis = this.list().filter((p) => p.type === 'managedIdentity')
    if (selector.clientId) return mis.find((p) => p.clientId === selector.clientId?.toLowerCase())
    if (selector.objectId) return mis.find((p) => p.objectId === selector.objectId?.toLowerCase())
    if (selector.resourceId) return mis.find((p) => selector.resourceId?.toLowerCase().endsWith(`/userassignedidentities/${p.name.toLowerCase()}`))
    return mis.find((p) => p.systemAssigned)
  }
}

/** Constant-time comparison of a presented secret with the expected one. */
export function secretMatches(presented: string, expected: string): boolean {
  const a = Buffer.from(presented, 'utf8')
  const b = Buffer.from(expected, 'utf8')
  return a.length === b.length && timingSafeEqual(a, b)
}
