/**
 * What a vault run counts and reports: objects by outcome, per-object problems (at most MAX_STORED_PROBLEMS kept,
 * all counted), and the snapshot summary built from them.
 */
import type { ObjectProblem, SnapshotSummary } from '../repo/types.js'
import type { Problem } from './capture.js'

/** Most problems stored in a manifest; the rest are summarised in one more problem. */
export const MAX_STORED_PROBLEMS = 1000

/** What happened to the objects of a vault. */
export interface VaultCounts {
  /** Objects in the vault's listings (managed key/secret pairs of certificates excluded). */
  listed: number
  /** Fetched and captured this run. */
  captured: number
  /** Unchanged since the previous snapshot: its entry reused without any request. */
  reused: number
  /** Soft-deleted objects recorded as such. */
  deleted: number
  /** Not readable this run: the previous snapshot's capture was kept, marked as carried. */
  carried: number
  /** Not in this snapshot because they could not be read and no earlier capture existed. */
  missing: number
  /** Deleted while the run was going (not in this snapshot). */
  vanished: number
  /** Certificate-issuer and contacts entries. */
  vaultSettings: number
}

export class Tally {
  readonly counts: VaultCounts = { listed: 0, captured: 0, reused: 0, deleted: 0, carried: 0, missing: 0, vanished: 0, vaultSettings: 0 }
  readonly problems: ObjectProblem[] = []
  private warnings = 0
  private errors = 0
  private objectsWithErrors = 0
  private capturedSomething = false
  /** Objects the deadline kept from being read. */
  deadlineSkipped = 0

  /** Record an object's problems; returns true when any of them is an error. */
  note(kind: string, name: string, problems: readonly Problem[]): boolean {
    let failed = false
    for (const p of problems) {
      if (p.severity === 'error') {
        this.errors++
        failed = true
      } else this.warnings++
      if (this.problems.length < MAX_STORED_PROBLEMS) this.problems.push({ severity: p.severity, kind, name, message: p.message })
    }
    if (failed) this.objectsWithErrors++
    return failed
  }

  /** A captured entry that holds at least one content makes the run useful. */
  captured(withContents: boolean): void {
    this.counts.captured++
    if (withContents) this.capturedSomething = true
  }

  /** False when not one object yielded anything and there were errors: nothing useful was done. */
  get useful(): boolean {
    const c = this.counts
    return this.capturedSomething || c.reused + c.deleted + c.vaultSettings > 0 || this.errors === 0
  }

  /** The snapshot summary (call once, when every entry is written). */
  summary(vaultUrl: string): SnapshotSummary {
    if (this.deadlineSkipped > 0) {
      this.note('vault', vaultUrl, [{ severity: 'error', message: `The run reached its deadline: ${this.deadlineSkipped} object(s) were not read (earlier captures kept where this repository has them).` }])
    }
    const stored = [...this.problems]
    const total = this.warnings + this.errors
    if (total > stored.length) stored.push({ severity: 'warning', kind: 'vault', name: vaultUrl, message: `${total - stored.length} more problem(s) not stored.` })
    const c = this.counts
    const done = c.captured + c.reused + c.deleted + c.vaultSettings - this.objectsWithErrors
    return { done: Math.max(0, done), warnings: this.warnings, errors: this.errors, problems: stored }
  }
}
