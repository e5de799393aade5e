import { describe, expect, it } from 'vitest'
import { formatRef, parseRef } from '../../src/core/types.js'
import { ExitCode, KvdrError, UsageError } from '../../src/core/errors.js'

describe('object references', () => {
  it('round-trips kind/name and kind/name/version', () => {
    expect(parseRef('secret/db-pass')).toEqual({ kind: 'secret', name: 'db-pass' })
    const v = '0123456789abcdef0123456789abcdef'
    expect(parseRef(`key/cmk/${v}`)).toEqual({ kind: 'key', name: 'cmk', version: v })
    expect(formatRef({ kind: 'certificate', name: 'tls', version: v })).toBe(`certificate/tls/${v}`)
  })

  it.each(['secrets/x', 'secret', 'secret/', 'secret/bad_name', 'secret/x/ABC', 'secret/x/y/z'])(
    'rejects %s with a usage error that says what to write',
    (text) => {
      let caught: unknown
      try {
        parseRef(text)
      } catch (e) {
        caught = e
      }
      expect(caught).toBeInstanceOf(UsageError)
      const err = caught as KvdrError
      expect(err.exitCode).toBe(ExitCode.Usage)
      expect(err.hint).toMatch(/kind\/name/)
    },
  )
})
