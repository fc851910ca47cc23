/** Genesys Cloud regions: the domain that forms `login.<domain>` and `api.<domain>`. */
export const GENESYS_REGIONS: { domain: string; label: string }[] = [
  { domain: 'mypurecloud.com', label: 'Americas (US East)' },
  { domain: 'usw2.pure.cloud', label: 'Americas (US West)' },
  { domain: 'use2.us-gov-pure.cloud', label: 'Americas (FedRAMP US East 2)' },
  { domain: 'cac1.pure.cloud', label: 'Americas (Canada)' },
  { domain: 'sae1.pure.cloud', label: 'Americas (São Paulo)' },
  { domain: 'mxc1.pure.cloud', label: 'Americas (Mexico)' },
  { domain: 'mypurecloud.ie', label: 'EMEA (Dublin)' },
  { domain: 'euw2.pure.cloud', label: 'EMEA (London)' },
  { domain: 'mypurecloud.de', label: 'EMEA (Frankfurt)' },
  { domain: 'euc2.pure.cloud', label: 'EMEA (Zurich)' },
  { domain: 'edee1.eusc-pure.cloud', label: 'EMEA (EU Sovereign Cloud)' },
  { domain: 'mec1.pure.cloud', label: 'Middle East (UAE)' },
  { domain: 'aps1.pure.cloud', label: 'Asia Pacific (Mumbai)' },
  { domain: 'apne2.pure.cloud', label: 'Asia Pacific (Seoul)' },
  { domain: 'apne3.pure.cloud', label: 'Asia Pacific (Osaka)' },
  { domain: 'mypurecloud.jp', label: 'Asia Pacific (Tokyo)' },
  { domain: 'apse1.pure.cloud', label: 'Asia Pacific (Singapore)' },
  { domain: 'mypurecloud.com.au', label: 'Asia Pacific (Sydney)' },
];

export const DEFAULT_GENESYS_REGION = 'mypurecloud.com';

export function isGenesysRegion(domain: string): boolean {
  return GENESYS_REGIONS.some((r) => r.domain === domain);
}
