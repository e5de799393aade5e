/**
 * Plaintext metadata blobs with a MAC (the config and key slots): canonical JSON of the body plus a `mac`
 * field = HMAC-SHA256(idKey, label, canonical body). Decoding is byte-strict, so every flipped byte either
 * breaks parsing, changes the canonical form, or changes the MAC.
 */
import { constantTimeEqual } from '../crypto/mac.js'
import { metadataMac } from '../crypto/ids.js'
import { canonicalJson, isRecord, parseJsonBytes, strictBase64, utf8 } from './encoding.js'

export interface SignedBlob {
  body: Record<string, unknown>
  mac: string
}

/** Serialize `body` with its MAC. `body` must not have a `mac` field. */
export function encodeSigned(body: Record<string, unknown>, idKey: Uint8Array, label: string): Uint8Array {
  const mac = metadataMac(idKey, label, canonicalJson(body))
  return utf8(canonicalJson({ ...body, mac }))
}

/** Parse a signed blob without verifying it. Undefined when the bytes are not exactly canonical JSON with a mac. */
export function decodeSigned(bytes: Uint8Array): SignedBlob | undefined {
  const parsed = parseJsonBytes(bytes)
  if (!isRecord(parsed) || typeof parsed.mac !== 'string' || strictBase64(parsed.mac) === undefined) return undefined
  let canonical: string
  try {
    canonical = canonicalJson(parsed)
  } catch {
    return undefined
  }
  if (!constantTimeEqual(utf8(canonical), bytes)) return undefined
  const { mac, ...body } = parsed
  return { body, mac }
}

/** True when `blob.mac` is the MAC of `blob.body` under `idKey` and `label`. */
export function verifySigned(blob: SignedBlob, idKey: Uint8Array, label: string): boolean {
  const want = metadataMac(idKey, label, canonicalJson(blob.body))
  return constantTimeEqual(utf8(want), utf8(blob.mac))
}
