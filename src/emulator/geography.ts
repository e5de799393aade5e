/**
 * Azure regions and the geography each belongs to. Native Key Vault backups restore only within one geography
 * (and subscription); vaults in regions not listed here must state their geography.
 */

const GEOGRAPHIES: Record<string, readonly string[]> = {
  'United States': ['eastus', 'eastus2', 'westus', 'westus2', 'westus3', 'centralus', 'northcentralus', 'southcentralus', 'westcentralus'],
  Canada: ['canadacentral', 'canadaeast'],
  Brazil: ['brazilsouth', 'brazilsoutheast'],
  Europe: ['northeurope', 'westeurope'],
  'United Kingdom': ['uksouth', 'ukwest'],
  France: ['francecentral', 'francesouth'],
  Germany: ['germanywestcentral', 'germanynorth'],
  Switzerland: ['switzerlandnorth', 'switzerlandwest'],
  Norway: ['norwayeast', 'norwaywest'],
  Sweden: ['swedencentral', 'swedensouth'],
  'Asia Pacific': ['eastasia', 'southeastasia'],
  Australia: ['australiaeast', 'australiasoutheast', 'australiacentral', 'australiacentral2'],
  Japan: ['japaneast', 'japanwest'],
  Korea: ['koreacentral', 'koreasouth'],
  India: ['centralindia', 'southindia', 'westindia'],
  'United Arab Emirates': ['uaenorth', 'uaecentral'],
  'South Africa': ['southafricanorth', 'southafricawest'],
}

const BY_REGION = new Map<string, string>(Object.entries(GEOGRAPHIES).flatMap(([geo, regions]) => regions.map((r) => [r, geo] as const)))

/** The geography of a known Azure region (case-insensitive, spaces ignored), or undefined. */
export function geographyOf(region: string): string | undefined {
  return BY_REGION.get(region.toLowerCase().replace(/\s+/g, ''))
}
