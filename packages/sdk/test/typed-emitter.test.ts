import { describe, expect, it } from 'vitest';
import { TypedEventEmitter } from '../src/typed-emitter.js';

interface Events {
  a: (x: number, y: string) => void;
  b: () => void;
}

describe('TypedEventEmitter (Node semantics)', () => {
  it('on: every listener, in order, with the arguments', () => {
    const e = new TypedEventEmitter<Events>();
    const calls: string[] = [];
    e.on('a', (x, y) => calls.push(`1:${x}${y}`));
    e.on('a', (x, y) => calls.push(`2:${x}${y}`));
    expect(e.emit('a', 1, 'z')).toBe(true);
    expect(calls).toEqual(['1:1z', '2:1z']);
    expect(e.emit('b')).toBe(false);
  });

  it('once: called once, removed before the call', () => {
    const e = new TypedEventEmitter<Events>();
    let n = 0;
    e.once('b', () => {
      n++;
      expect(e.listenerCount('b')).toBe(0);
    });
    e.emit('b');
    e.emit('b');
    expect(n).toBe(1);
  });

  it('off removes one instance, the most recently added, whether added with on or once', () => {
    const e = new TypedEventEmitter<Events>();
    const calls: string[] = [];
    const f = () => calls.push('f');
    e.on('b', f);
    e.once('b', f);
    e.off('b', f); // removes the once-wrapper (most recent)
    expect(e.rawListeners('b')).toEqual([f]);
    e.emit('b');
    e.emit('b');
    expect(calls).toEqual(['f', 'f']);
    e.off('b', f);
    expect(e.listenerCount('b')).toBe(0);
    e.off('b', f); // no-op
    expect(e.removeListener('b', f)).toBe(e);
  });

  it('a once-listener removed with off before firing is not called', () => {
    const e = new TypedEventEmitter<Events>();
    let n = 0;
    const f = () => n++;
    e.once('b', f);
    e.off('b', f);
    e.emit('b');
    expect(n).toBe(0);
  });

  it('listeners() unwraps once-listeners; rawListeners() shows the wrapper with .listener', () => {
    const e = new TypedEventEmitter<Events>();
    const f = () => undefined;
    const g = () => undefined;
    e.on('b', f).once('b', g);
    expect(e.listeners('b')).toEqual([f, g]);
    const raw = e.rawListeners('b');
    expect(raw[0]).toBe(f);
    expect(raw[1]).not.toBe(g);
    expect((raw[1] as unknown as { listener: unknown }).listener).toBe(g);
    // calling the raw wrapper fires g and removes it, as in Node
    (raw[1] as () => void)();
    expect(e.listeners('b')).toEqual([f]);
    expect(e.listeners('a')).toEqual([]);
  });

  it('listenerCount and removeAllListeners (one event or all)', () => {
    const e = new TypedEventEmitter<Events>();
    e.on('a', () => undefined)
      .on('a', () => undefined)
      .on('b', () => undefined);
    expect(e.listenerCount('a')).toBe(2);
    expect(e.removeAllListeners('a')).toBe(e);
    expect(e.listenerCount('a')).toBe(0);
    expect(e.listenerCount('b')).toBe(1);
    e.removeAllListeners();
    expect(e.listenerCount('b')).toBe(0);
  });

  it('listeners added or removed during an emit do not affect that emit', () => {
    const e = new TypedEventEmitter<Events>();
    const calls: string[] = [];
    const late = () => calls.push('late');
    const second = () => calls.push('second');
    e.on('b', () => {
      calls.push('first');
      e.on('b', late);
      e.off('b', second);
    });
    e.on('b', second);
    e.emit('b');
    expect(calls).toEqual(['first', 'second']);
    e.emit('b');
    expect(calls).toEqual(['first', 'second', 'first', 'late']);
  });

  it('addListener is on', () => {
    const e = new TypedEventEmitter<Events>();
    const f = () => undefined;
    e.addListener('b', f);
    expect(e.listeners('b')).toEqual([f]);
  });
});
