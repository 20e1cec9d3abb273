import { readFileSync } from 'node:fs';

/**
 * Agora's official token test vectors, kept in the repository (the `about` field of the file says
 * where they come from): the tests need nothing beside the repo.
 */
export const VECTORS_URL = new URL('./fixtures/agora-token-vectors.json', import.meta.url);

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

export const vectors = JSON.parse(readFileSync(VECTORS_URL, 'utf8')) as TokenVectors;
export const { appId, appCertificate } = vectors;
