/**
 * Certificate issuers and contacts: vault-wide objects without versions or soft delete. Kept in the vault state as
 * collections of single-version records (plain JSON, persisted with the vault); delete removes the record.
 * Issuer passwords are stored (a CA connector would need them) but never rendered.
 */
import type { Vault } from '../model/vault.js'
import { newVersionId, type CollectionState, type ObjectRecord } from '../model/versioned.js'

const ISSUERS_COLLECTION = 'certificate-issuers'
const CONTACTS_COLLECTION = 'certificate-contacts'
const CONTACTS_KEY = 'contacts'

export interface AdministratorDetails {
  first_name?: string
  last_name?: string
  email?: string
  phone?: string
}

/** An issuer's settings in wire form (snake_case). */
export interface IssuerPayload {
  provider: string
  credentials?: { account_id?: string; pwd?: string }
  org_details?: { id?: string; admin_details?: AdministratorDetails[] }
}

export interface Contact {
  email?: string
  name?: string
  phone?: string
}

/** One stored issuer. */
export interface Issuer {
  name: string
  payload: IssuerPayload
  enabled: boolean
  /** Unix seconds. */
  created: number
  updated: number
}

function collection<P>(vault: Vault, key: string): CollectionState<P> {
  return (vault.state.collections[key] ??= { objects: {} }) as CollectionState<P>
}

function toIssuer(record: ObjectRecord<IssuerPayload>): Issuer {
  const v = record.versions[0]
  if (!v) throw new Error(`issuer ${record.name} has no data`)
  return { name: record.name, payload: v.payload, enabled: v.attributes.enabled, created: v.attributes.created, updated: v.attributes.updated }
}

/** A vault's issuers, by case-insensitive name. */
export class IssuerStore {
  private readonly state: CollectionState<IssuerPayload>

  constructor(vault: Vault) {
    this.state = collection<IssuerPayload>(vault, ISSUERS_COLLECTION)
  }

  get(name: string): Issuer | undefined {
    const record = this.state.objects[name.toLowerCase()]
    return record ? toIssuer(record) : undefined
  }

  /** Every issuer, sorted by lower-cased name. */
  list(): Issuer[] {
    return Object.keys(this.state.objects)
      .sort()
      .map((k) => toIssuer(this.state.objects[k] as ObjectRecord<IssuerPayload>))
  }

  /** Create or replace an issuer (keeping `created` and the name's casing when it exists). */
  put(name: string, payload: IssuerPayload, enabled: boolean, nowSec: number): Issuer {
    const existing = this.get(name)
    this.state.objects[name.toLowerCase()] = {
      name: existing?.name ?? name,
      managed: false,
      versions: [{ version: newVersionId(), attributes: { enabled, created: existing?.created ?? nowSec, updated: nowSec }, payload }],
    }
    return this.get(name) as Issuer
  }

  /** Remove an issuer; returns what was removed. */
  remove(name: string): Issuer | undefined {
    const issuer = this.get(name)
    delete this.state.objects[name.toLowerCase()]
    return issuer
  }
}

/** The vault's certificate contacts (one list for the whole vault), or undefined when none are set. */
export function getContacts(vault: Vault): Contact[] | undefined {
  const record = collection<Contact[]>(vault, CONTACTS_COLLECTION).objects[CONTACTS_KEY]
  return record?.versions[0]?.payload
}

/** Replace the vault's contacts. */
export function setContacts(vault: Vault, contacts: Contact[], nowSec: number): void {
  collection<Contact[]>(vault, CONTACTS_COLLECTION).objects[CONTACTS_KEY] = {
    name: CONTACTS_KEY,
    managed: false,
    versions: [{ version: newVersionId(), attributes: { enabled: true, created: nowSec, updated: nowSec }, payload: contacts }],
  }
}

/** Remove the vault's contacts; returns what was removed. */
export function deleteContacts(vault: Vault): Contact[] | undefined {
  const contacts = getContacts(vault)
  delete collection<Contact[]>(vault, CONTACTS_COLLECTION).objects[CONTACTS_KEY]
  return contacts
}
