import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// In CI a copy of shared/ sits beside the repo clone, exactly as in the dev tree.
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const VECTORS_PATH = path.resolve(repoRoot, '../shared/vectors/tokens.json');

export type Rtm006Vector = {
  id: string;
  account: string;
  salt: number;
  ts: number;
  loginPrivilegeTs: number;
  token: string;
};
export type Rtc006Vector = {
  id: string;
  channel: string;
  uid: string;
  salt: number;
  ts: number;
  privileges: Record<string, number>;
  token: string;
};
export type Rtm007Vector = {
  id: string;
  userId: string;
  issueTs: number;
  salt: number;
  expire: number;
  encoder: string;
  token: string;
};
export type SignalingVector = {
  id: string;
  account: string;
  appId: string;
  appCertificate: string;
  expiredTs: number;
  token: string;
};

export type TokenVectors = {
  about: string;
  appId: string;
  appCertificate: string;
  rtm006: Rtm006Vector[];
  rtc006_container_checks: Rtc006Vector[];
  rtm007: Rtm007Vector[];
  signaling: SignalingVector[];
};

export const vectors = JSON.parse(readFileSync(VECTORS_PATH, 'utf8')) as TokenVectors;
export const { appId, appCertificate } = vectors;
