import { describe, expect, it } from 'vitest';
import { checkWireMessage, normalizeWireMessage } from '../src/message-check.js';
import type { WireMessage } from '../src/messages.js';

const ID = 'AAAAAAAAAAAAAAAAAAAAAA';
const image = (media: object, extra: object = {}) => ({ type: 'IMAGE', description: '', media, ...extra });

describe('IMAGE and FILE wire messages (checkWireMessage)', () => {
  it('accepts a media message with a server-made id, a size up to 30 MB and a file name', () => {
    expect(checkWireMessage(image({ id: ID, size: 10, fileName: 'a.png', width: 3 }), 32_768)).toBeNull();
    expect(checkWireMessage({ type: 'FILE', media: { id: ID, size: 0, fileName: '' } }, 32_768)).toBeNull();
    expect(checkWireMessage(image({ id: ID, size: 30 * 1024 * 1024, fileName: '' }), 32_768)).toBeNull();
  });

  it('refuses what is not one', () => {
    for (const bad of [
      image({ id: 'short', size: 1, fileName: '' }),
      image({ id: ID, size: -1, fileName: '' }),
      image({ id: ID, size: 30 * 1024 * 1024 + 1, fileName: '' }),
      image({ id: ID, size: 1.5, fileName: '' }),
      image({ id: ID, size: 1 }),
      image({ id: ID, size: 1, fileName: '', width: -1 }),
      image({ id: ID, size: 1, fileName: '', thumbnail: 'x' }),
      image({ id: ID, size: 1, fileName: '' }, { text: 'x' }),
      { type: 'FILE', media: { id: ID, size: 1, fileName: '', width: 1 } },
      { type: 'FILE' },
    ])
      expect(checkWireMessage(bad, 32_768), JSON.stringify(bad)).toBe('invalid');
  });

  it('counts file name + description + thumbnail against the message limit', () => {
    const m = image({ id: ID, size: 1, fileName: 'ab', thumbnail: new Uint8Array(5) }, { description: 'cd' });
    expect(checkWireMessage(m, 9)).toBeNull();
    expect(checkWireMessage(m, 8)).toBe('too_large');
  });

  it('relays only the known fields', () => {
    const m = image(
      { id: ID, size: 1, fileName: 'a', width: 2, extra: 'x' },
      { extra: 'y' },
    ) as unknown as WireMessage;
    expect(normalizeWireMessage(m)).toEqual({
      type: 'IMAGE',
      description: '',
      media: { id: ID, size: 1, fileName: 'a', width: 2 },
    });
  });
});
