/**
 * Where a native blob can go: Key Vault restores a native backup only into a vault of the same subscription and
 * geography ("security world"). Compares the snapshot's world with the target's and says, in words, what is known,
 * what differs and what is assumed. Unknown never counts as a match.
 */
import type { VaultWorld } from '../core/types.js'

export interface WorldComparison {
  relation: 'same' | 'different' | 'unknown'
  /** Why, e.g. "target is in geography United States, the snapshot's vault in Europe". */
  reason: string
  assumptions: string[]
}

/** Compare the snapshot's world with the target's. */
export function compareWorlds(source: VaultWorld, target: VaultWorld): WorldComparison {
  const assumptions: string[] = []
  const differences: string[] = []
  if (source.subscriptionId && target.subscriptionId && source.subscriptionId.toLowerCase() !== target.subscriptionId.toLowerCase()) {
    differences.push(`target is in subscription ${target.subscriptionId}, the snapshot's vault in ${source.subscriptionId}`)
  }
  if (source.geography && target.geography && source.geography !== target.geography) {
    differences.push(`target is in geography ${target.geography}, the snapshot's vault in ${source.geography}`)
  }
  if (source.tenantId && target.tenantId && source.tenantId.toLowerCase() !== target.tenantId.toLowerCase()) {
    differences.push(`target is in tenant ${target.tenantId}, the snapshot's vault in ${source.tenantId}`)
  }
  if (!target.subscriptionId) assumptions.push('the target\'s subscription is unknown (pass --to-subscription)')
  if (!source.subscriptionId) assumptions.push('the snapshot\'s subscription was not recorded (backup without --subscription)')
  if (!target.geography) assumptions.push(`the target's geography is unknown (region ${target.region ?? 'not reported'})`)
  if (!source.geography) assumptions.push('the snapshot\'s geography was not recorded')
  if (differences.length > 0) return { relation: 'different', reason: differences.join('; '), assumptions }
  if (assumptions.length > 0) return { relation: 'unknown', reason: assumptions.join('; '), assumptions }
  return { relation: 'same', reason: `same subscription ${target.subscriptionId} and geography ${target.geography}`, assumptions }
}

/** "subscription S, geography G" for messages. */
export function describeWorld(w: VaultWorld): string {
  return `subscription ${w.subscriptionId ?? '(unknown)'}, geography ${w.geography ?? '(unknown)'}`
}
