/**
 * Planning a restore: learn the target's world (region from its responses, geography from the region, tenant from
 * its challenge, subscription as given), check what the identity can read there (one-item listings per kind),
 * read its soft-delete settings and names (live, soft-deleted), fingerprint live objects that collide, and decide
 * every selected object. Reads only: planning never writes to the target or the repository.
 */
import { geographyOf } from '../core/geography.js'
import type { ObjectKind, VaultWorld } from '../core/types.js'
import { mapLimit } from '../repo/concurrency.js'
import type { RepositoryReader } from '../repo/repository.js'
import type { Snapshot } from '../repo/types.js'
import { vaultDeletionSettings } from '../vault/deleted-ops.js'
import { VaultError } from '../vault/errors.js'
import { PERMISSIONS, type VaultOperation } from '../vault/permissions.js'
import type { VaultReader } from '../vault/reader.js'
import { type DecideContext, decideObject, decideSetting, type PlanItem, type TargetObject } from './decide.js'
import type { SourceObject } from './source.js'
import { contactsCanonical, type KindListing, listKind, readLive, targetIssuerFingerprint } from './target.js'
import type { ConflictPolicy, PermissionCheck, PlanAction, RestoreMode, RestorePlan, TargetInfo } from './types.js'
import { compareWorlds } from './world.js'

export interface PlanOptions {
  mode: RestoreMode
  onConflict: ConflictPolicy
  purgeDeleted: boolean
  /** The target's subscription (--to-subscription); the data plane does not tell it. */
  targetSubscription?: string
  asOf?: Date
  /** Live objects fingerprinted at once (default 16). */
  concurrency?: number
}

/** A plan with what applying it needs. */
export interface PlannedRestore {
  plan: RestorePlan
  items: PlanItem[]
}

const LIST_OP: Record<ObjectKind, VaultOperation> = { secret: 'secrets.list', key: 'keys.list', certificate: 'certificates.list' }

/** Data actions the writes of a kind may need (restore, create/import, policies). */
const WRITE_OPS: Record<ObjectKind, VaultOperation[]> = {
  secret: ['secrets.restore', 'secrets.set'],
  key: ['keys.restore', 'keys.setRotationPolicy'],
  certificate: ['certificates.restore', 'certificates.import', 'certificates.updatePolicy', 'certificates.setIssuer', 'certificates.setContacts'],
}

function kindOf(o: SourceObject): ObjectKind {
  return o.kind === 'certificate-issuer' || o.kind === 'certificate-contacts' ? 'certificate' : o.kind
}

/** The target's world as the vault showed it (after at least one response) plus the given subscription. */
function targetWorld(reader: VaultReader, subscriptionId: string | undefined): VaultWorld {
  const o = reader.observed
  const geography = geographyOf(o.region)
  return { ...(subscriptionId ? { subscriptionId } : {}), ...(o.tenantId ? { tenantId: o.tenantId } : {}), ...(o.region ? { region: o.region } : {}), ...(geography ? { geography } : {}) }
}

/**
 * Plan the restore of `objects` (from `snapshot`) into the vault `reader` reads. Throws VaultError (scope vault)
 * when the target cannot be reached or authenticated; a kind that cannot be listed makes its objects
 * "impossible" with the missing permission named.
 */
export async function planRestore(repo: Pick<RepositoryReader, 'fingerprint'>, reader: VaultReader, snapshot: Snapshot, objects: SourceObject[], options: PlanOptions): Promise<PlannedRestore> {
  const kinds = [...new Set(objects.map(kindOf))]
  const listings = new Map<ObjectKind, KindListing | VaultError>()
  const permissions: PermissionCheck[] = []
  for (const kind of kinds) {
    try {
      listings.set(kind, await listKind(reader, kind))
      permissions.push({ kind, readable: true, writeNeeds: WRITE_OPS[kind].map((op) => PERMISSIONS[op].dataAction) })
    } catch (err) {
      if (!(err instanceof VaultError) || err.status !== 403 || err.code === 'VAULT_FIREWALL') throw err
      listings.set(kind, err)
      const p = PERMISSIONS[LIST_OP[kind]]
      permissions.push({ kind, readable: false, missing: { dataAction: err.missingPermission ?? p.dataAction, role: p.role, accessPolicy: p.accessPolicy }, writeNeeds: WRITE_OPS[kind].map((op) => PERMISSIONS[op].dataAction) })
    }
  }
  if (kinds.length === 0) await reader.probe('secret')
  const deletion = await vaultDeletionSettings(reader.connection)
  const world = targetWorld(reader, options.targetSubscription)
  const sourceWorld: VaultWorld = (({ url: _u, ...w }) => w)(snapshot.vault)
  const comparison = compareWorlds(sourceWorld, world)
  const target: TargetInfo = { url: reader.url, world, relation: comparison.relation, assumptions: comparison.assumptions, deletion }
  const ctx: DecideContext = { mode: options.mode, onConflict: options.onConflict, purgeDeleted: options.purgeDeleted, purgeProtection: deletion.purgeProtection, world: comparison, sourceWorld }

  const items = await mapLimit(objects, options.concurrency ?? 16, async (o): Promise<PlanItem> => {
    const listing = listings.get(kindOf(o))
    if (listing instanceof VaultError) {
      const unknown = `cannot read the target's ${kindOf(o)}s: ${listing.message}`
      return o.kind === 'certificate-issuer' || o.kind === 'certificate-contacts' ? decideSetting(o, { unknown }, ctx) : decideObject(o, { state: 'unknown', reason: unknown }, ctx)
    }
    if (o.kind === 'certificate-issuer') return decideSetting(o, await settingState(() => targetIssuerFingerprint(reader, repo, o.targetName)), ctx)
    if (o.kind === 'certificate-contacts') return decideSetting(o, await settingState(() => contactsCanonical(reader)), ctx)
    const key = o.targetName.toLowerCase()
    let t: TargetObject = { state: 'absent' }
    if (listing?.live.has(key)) {
      try {
        t = { state: 'live', live: await readLive(reader, repo, o.kind, o.targetName, o.record.versions) }
      } catch (err) {
        if (!(err instanceof VaultError) || err.scope !== 'object') throw err
        t = err.status === 404 ? { state: 'absent' } : { state: 'unknown', reason: `cannot compare with the target's ${o.kind}: ${err.message}` }
      }
    } else if (listing?.deleted.has(key)) t = { state: 'deleted', deleted: listing.deleted.get(key) as NonNullable<ReturnType<KindListing['deleted']['get']>> }
    return decideObject(o, t, ctx)
  })
  const counts: Record<PlanAction, number> = { create: 0, 'add-versions': 0, recover: 0, skip: 0, conflict: 0, impossible: 0 }
  for (const i of items) counts[i.planned.action]++
  const plan: RestorePlan = {
    snapshot: { id: snapshot.id, time: snapshot.time, vault: snapshot.vault.url, world: sourceWorld },
    ...(options.asOf ? { asOf: options.asOf.toISOString() } : {}),
    mode: options.mode,
    onConflict: options.onConflict,
    target,
    permissions,
    objects: items.map((i) => i.planned),
    counts,
  }
  return { plan, items }
}

async function settingState(read: () => Promise<string | undefined>): Promise<string | undefined | { unknown: string }> {
  try {
    return await read()
  } catch (err) {
    if (err instanceof VaultError && err.scope === 'object') return { unknown: `cannot compare with the target: ${err.message}` }
    throw err
  }
}
