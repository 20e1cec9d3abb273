import { describe, expect, it } from 'vitest';
import { resolveConfig, resolveQuotas } from '../../src/config.js';

describe('resolveQuotas: per-app quotas resolved once', () => {
  const config = resolveConfig({
    offlineMaxBytesPerApp: 1000,
    offlineMaxPerSenderPerHour: 50,
    emptyChannelAttrsMaxBytesPerApp: 300,
    historyMaxBytesPerApp: 900,
    apps: [{ appId: 'a'.repeat(32), quotas: { offlineMaxBytes: 7, historyMaxBytes: 9 } }],
  });
  const quotas = resolveQuotas(config);

  it("a configured app's own quotas over the server-wide ones", () => {
    expect(quotas('a'.repeat(32))).toEqual({
      offlineMaxBytes: 7,
      offlineMaxPerSenderPerHour: 50,
      emptyChannelAttrsMaxBytes: 300,
      historyMaxBytes: 9,
    });
  });

  it('an App ID not configured gets the server-wide values, the same object every time', () => {
    const q = quotas('b'.repeat(32));
    expect(q).toEqual({
      offlineMaxBytes: 1000,
      offlineMaxPerSenderPerHour: 50,
      emptyChannelAttrsMaxBytes: 300,
      historyMaxBytes: 900,
    });
    expect(quotas('c'.repeat(32))).toBe(q);
  });
});
