/**
 * Azure region -> geography ("security world") table. A native Key Vault backup restores only into a vault of
 * the same subscription in the same geography; US DoD East and US DoD Central are worlds of their own.
 * Source: learn.microsoft.com/azure/key-vault/general/overview-security-worlds and Azure's geography list.
 * Unknown regions map to undefined: callers must treat the world as unknown, not as a match.
 */
const GEOGRAPHIES: Record<string, readonly string[]> = {
  'United States': ['eastus', 'eastus2', 'centralus', 'northcentralus', 'southcentralus', 'westcentralus', 'westus', 'westus2', 'westus3', 'centraluseuap', 'eastus2euap'],
  'US Government': ['usgovvirginia', 'usgovtexas', 'usgovarizona', 'usgoviowa'],
  'US DoD East': ['usdodeast'],
  'US DoD Central': ['usdodcentral'],
  Canada: ['canadacentral', 'canadaeast'],
  Brazil: ['brazilsouth', 'brazilsoutheast'],
  Mexico: ['mexicocentral'],
  Chile: ['chilecentral'],
  Europe: ['northeurope', 'westeurope'],
  'United Kingdom': ['uksouth', 'ukwest'],
  France: ['francecentral', 'francesouth'],
  Germany: ['germanywestcentral', 'germanynorth'],
  Switzerland: ['switzerlandnorth', 'switzerlandwest'],
  Norway: ['norwayeast', 'norwaywest'],
  Sweden: ['swedencentral', 'swedensouth'],
  Poland: ['polandcentral'],
  Italy: ['italynorth'],
  Spain: ['spaincentral'],
  Austria: ['austriaeast'],
  Belgium: ['belgiumcentral'],
  Denmark: ['denmarkeast'],
  'Asia Pacific': ['eastasia', 'southeastasia'],
  Australia: ['australiaeast', 'australiasoutheast', 'australiacentral', 'australiacentral2'],
  Japan: ['japaneast', 'japanwest'],
  Korea: ['koreacentral', 'koreasouth'],
  India: ['centralindia', 'southindia', 'westindia', 'jioindiawest', 'jioindiacentral'],
  Indonesia: ['indonesiacentral'],
  Malaysia: ['malaysiawest'],
  'New Zealand': ['newzealandnorth'],
  Taiwan: ['taiwannorth', 'taiwannorthwest'],
  'United Arab Emirates': ['uaenorth', 'uaecentral'],
  Qatar: ['qatarcentral'],
  Israel: ['israelcentral'],
  'Saudi Arabia': ['saudiarabiaeast'],
  'South Africa': ['southafricanorth', 'southafricawest'],
  China: ['chinanorth', 'chinaeast', 'chinanorth2', 'chinaeast2', 'chinanorth3', 'chinaeast3'],
}

const BY_REGION = new Map<string, string>()
for (const [geo, regions] of Object.entries(GEOGRAPHIES)) for (const r of regions) BY_REGION.set(r, geo)

/** Normalise "West Europe" / "west-europe" / "westeurope" to Azure's region name form. */
export function normalizeRegion(region: string): string {
  return region.toLowerCase().replace(/[\s_-]+/g, '')
}

/** The geography a region belongs to, or undefined when the region is not known. */
export function geographyOf(region: string | undefined): string | undefined {
  return region === undefined ? undefined : BY_REGION.get(normalizeRegion(region))
}

/** Regions Microsoft does not fail over across regions (plan your own cross-region backup there). */
export const REGIONS_WITHOUT_CROSS_REGION_FAILOVER: readonly string[] = ['brazilsouth', 'brazilsoutheast', 'westus3']
