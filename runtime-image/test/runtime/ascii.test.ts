// The hot path's own text <-> bytes copies must agree with TextEncoder/TextDecoder exactly.
import { strict as assert } from 'node:assert';
import { bytesText, textBytes } from '../../src/host/ascii.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

describe('decimal text and bytes on the hot path', function () {
  const texts = ['', '0', '-42', '18446744073709551615', 'x'.repeat(33), 'día 9', '€', '😀'];
  for (const text of texts) {
    it(`encodes and decodes ${JSON.stringify(text.slice(0, 12))} as TextEncoder/TextDecoder do`, function () {
      assert.deepEqual(textBytes(text), encoder.encode(text));
      assert.equal(bytesText(encoder.encode(text)), decoder.decode(encoder.encode(text)));
    });
  }

  it('decodes bytes that are not valid UTF-8 as TextDecoder does (replacement characters)', function () {
    const invalid = new Uint8Array([0x31, 0xff, 0x32]);
    assert.equal(bytesText(invalid), decoder.decode(invalid));
    assert.equal(bytesText(invalid), '1\uFFFD2');
  });
});
