/** Blob-name rules shared by every backend, so a layout that works on memory works on disk and on Azure. */
import { StoreError } from './errors.js'

const SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,254}$/
/** Longest accepted name; leaves room for a container prefix inside Azure's 1024-character limit. */
export const MAX_NAME_LENGTH = 900

/** The prefix reserved for lock blobs/files of the Locker that shares a location with the store. */
export const LOCKS_PREFIX = 'locks/'

/**
 * Throws StoreError(STORE_INVALID_NAME) unless `name` is a valid blob name: `/`-separated segments of
 * `A-Z a-z 0-9 . _ -`, none empty and none starting with `.` (names starting with `.` are the local backend's
 * temporary files), at most 255 characters per segment and MAX_NAME_LENGTH in all.
 */
export function checkName(name: string): void {
  if (name.length === 0 || name.length > MAX_NAME_LENGTH || !name.split('/').every((s) => SEGMENT.test(s))) {
    throw new StoreError('STORE_INVALID_NAME', `"${printable(name)}" is not a valid blob name.`, {
      hint: 'This is a bug in kvdr: blob names are /-separated segments of letters, digits, ".", "_" and "-" that do not start with ".".',
    })
  }
}

/**
 * Throws StoreError(STORE_INVALID_NAME) unless `prefix` is '' or a valid name, or a valid name followed by `/`,
 * or a valid name whose last segment is cut short (any string that a valid name can start with).
 */
export function checkPrefix(prefix: string): void {
  if (prefix === '') return
  const trimmed = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix
  checkName(trimmed)
}

function printable(name: string): string {
  const shown = name.length > 80 ? `${name.slice(0, 80)}...` : name
  return shown.replace(/[^\x20-\x7e]/g, '?')
}
