import type { ClientInternals, ClientModule } from './invoke.js';
import { RtmNotImplementedError } from './errors.js';
import type { AttributesMap } from './types.js';

/** The local user's attributes and reading other users' attributes. */
export class UserAttrsApi implements ClientModule {
  constructor(private readonly c: ClientInternals) {}
  onEvent(_op: number, _body: unknown): boolean {
    return false;
  }
  private na(name: string): never {
    throw new RtmNotImplementedError(1, `${name} is not available yet.`);
  }
  async setLocalUserAttributes(_attributes: AttributesMap): Promise<void> {
    this.na('setLocalUserAttributes');
  }
  async addOrUpdateLocalUserAttributes(_attributes: AttributesMap): Promise<void> {
    this.na('addOrUpdateLocalUserAttributes');
  }
  async deleteLocalUserAttributesByKeys(_attributeKeys: string[]): Promise<void> {
    this.na('deleteLocalUserAttributesByKeys');
  }
  async clearLocalUserAttributes(): Promise<void> {
    this.na('clearLocalUserAttributes');
  }
  async getUserAttributes(_userId: string): Promise<AttributesMap> {
    return this.na('getUserAttributes');
  }
  async getUserAttributesByKeys(_userId: string, _attributeKeys: string[]): Promise<AttributesMap> {
    return this.na('getUserAttributesByKeys');
  }
}
