/**
 * Sealed blob envelope: `"KVDR" | kind (1 byte) | version (1 byte) | nonce | ciphertext | tag`, with the
 * 6-byte header and a caller-supplied context (the blob's identity) as AES-GCM associated data.
 */
import { open, seal, SEAL_OVERHEAD } from './aead.js'
import { AuthenticationError } from './errors.js'

const MAGIC = [0x4b, 0x56, 0x44, 0x52] // "KVDR"
export const ENVELOPE_VERSION = 1
export const HEADER_BYTES = 6

/** Envelope kinds: a content, a snapshot manifest, a forget record. */
export type EnvelopeKind = 'content' | 'snapshot' | 'forget'
const KIND_BYTE: Record<EnvelopeKind, number> = { content: 0x43, snapshot: 0x53, forget: 0x46 }

function header(kind: EnvelopeKind): Uint8Array {
  return new Uint8Array([...MAGIC, KIND_BYTE[kind], ENVELOPE_VERSION])
}

function aad(head: Uint8Array, context: string): Uint8Array {
  return new Uint8Array(Buffer.concat([head, Buffer.from(context, 'utf8')]))
}

/** Seal `plaintext` as a `kind` envelope bound to `context` (e.g. "kvdr/content/v1\0<repo>\0<type>\0<id>"). */
export function sealEnvelope(key: Uint8Array, kind: EnvelopeKind, context: string, plaintext: Uint8Array): Uint8Array {
  const head = header(kind)
  return new Uint8Array(Buffer.concat([head, seal(key, plaintext, aad(head, context))]))
}

/**
 * Open an envelope. Throws AuthenticationError when the header is not a `kind` envelope of a known
 * version, or the bytes, the context or the key differ from sealing.
 */
export function openEnvelope(key: Uint8Array, kind: EnvelopeKind, context: string, bytes: Uint8Array): Uint8Array {
  if (bytes.byteLength < HEADER_BYTES + SEAL_OVERHEAD) throw new AuthenticationError('the blob is truncated')
  const head = bytes.subarray(0, HEADER_BYTES)
  const want = header(kind)
  for (let i = 0; i < HEADER_BYTES; i++) {
    if (head[i] !== want[i]) throw new AuthenticationError(`the blob is not a version-${ENVELOPE_VERSION} ${kind} envelope`)
  }
  return open(key, bytes.subarray(HEADER_BYTES), aad(head, context))
}
