import { describe, expect, it } from 'vitest'
import { keyFamilyOf, keyOperationWeight, SECRET_LIMITS } from '../../src/core/limits.js'
import { geographyOf, normalizeRegion } from '../../src/core/geography.js'

describe('published throttling limits', () => {
  it("reproduces the docs' weighting example: 248 HSM RSA-4096 GETs + 16 HSM RSA-2048 GETs use the whole budget", () => {
    const used = 248 * keyOperationWeight('RSA-4096', 'hsm', 'other') + 16 * keyOperationWeight('RSA-2048', 'hsm', 'other')
    expect(used).toBe(4000)
  })

  it('maps key types to families', () => {
    expect(keyFamilyOf('RSA-HSM', 4096)).toEqual({ family: 'RSA-4096', protection: 'hsm' })
    expect(keyFamilyOf('EC', undefined)).toEqual({ family: 'EC', protection: 'software' })
    expect(keyFamilyOf('RSA', 2048)).toEqual({ family: 'RSA-2048', protection: 'software' })
    expect(SECRET_LIMITS.create).toBe(300)
  })
})

describe('geographies', () => {
  it('puts regions of one geography in one security world, and DoD regions in their own', () => {
    expect(geographyOf('West Europe')).toBe(geographyOf('northeurope'))
    expect(geographyOf('eastus')).toBe(geographyOf('westus3'))
    expect(geographyOf('eastus')).not.toBe(geographyOf('germanywestcentral'))
    expect(geographyOf('usdodeast')).not.toBe(geographyOf('usdodcentral'))
    expect(geographyOf('mars-north')).toBeUndefined()
    expect(normalizeRegion('West US 2')).toBe('westus2')
  })
})
