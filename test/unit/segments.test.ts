import should from 'should';
import { countSegments, gsmSeptets, GSM_SINGLE, GSM_CONCAT, UCS2_SINGLE, UCS2_CONCAT } from '../../src/phone/segments';

const GSM_BASIC_CHARS = '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' + '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM_EXTENSION_CHARS = '\f^{}\\[~]|€';

/** Small deterministic PRNG so the property tests are reproducible. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('phone/segments countSegments', () => {
  it('uses the standard capacities', () => {
    should([GSM_SINGLE, GSM_CONCAT, UCS2_SINGLE, UCS2_CONCAT]).eql([160, 153, 70, 67]);
  });

  it('counts empty text as zero GSM-7 segments', () => {
    should(countSegments('')).eql({ encoding: 'GSM-7', segments: 0, units: 0, perSegment: 160, nonGsmCharacters: [] });
  });

  describe('GSM 03.38 alphabet', () => {
    it('has 127 basic characters costing one septet each', () => {
      should([...GSM_BASIC_CHARS].length).equal(127);
      for (const ch of GSM_BASIC_CHARS) {
        should(gsmSeptets(ch)).equal(1, `basic ${JSON.stringify(ch)}`);
        should(countSegments(ch)).eql({ encoding: 'GSM-7', segments: 1, units: 1, perSegment: 160, nonGsmCharacters: [] });
      }
    });

    it('charges two septets for each extension character', () => {
      for (const ch of GSM_EXTENSION_CHARS) {
        should(gsmSeptets(ch)).equal(2, `extension ${JSON.stringify(ch)}`);
        should(countSegments(ch)).eql({ encoding: 'GSM-7', segments: 1, units: 2, perSegment: 160, nonGsmCharacters: [] });
      }
      should(countSegments('€[]{}^~\\|\f').units).equal(20);
    });

    it('treats look-alikes outside the alphabet as non-GSM', () => {
      for (const ch of ['ç', 'á', 'í', 'ó', 'ú', 'â', 'ê', '`', '\t', '\u00A0', '’', '‘', '“', '”', '–', '—', '…', '•', 'Ж', '中']) {
        should(gsmSeptets(ch)).equal(0, `non-GSM ${JSON.stringify(ch)}`);
        should(countSegments(`a${ch}`).encoding).equal('UCS-2');
      }
    });
  });

  describe('GSM-7 boundaries', () => {
    const cases: [number, number, number][] = [
      [1, 1, 160],
      [159, 1, 160],
      [160, 1, 160],
      [161, 2, 153],
      [306, 2, 153],
      [307, 3, 153],
      [459, 3, 153],
      [460, 4, 153],
    ];
    for (const [length, segments, perSegment] of cases) {
      it(`${length} septets -> ${segments} segment(s)`, () => {
        should(countSegments('a'.repeat(length))).eql({ encoding: 'GSM-7', segments, units: length, perSegment, nonGsmCharacters: [] });
      });
    }

    it('fits 80 extension characters (160 septets) in one message, not 81', () => {
      should(countSegments('€'.repeat(80))).containEql({ segments: 1, units: 160 });
      should(countSegments('€'.repeat(81))).containEql({ segments: 2, units: 162, perSegment: 153 });
    });

    it('switches to concatenation when one extension character pushes 159 septets over 160', () => {
      should(countSegments('a'.repeat(159) + '€')).containEql({ segments: 2, units: 161 });
      should(countSegments('a'.repeat(158) + '€')).containEql({ segments: 1, units: 160 });
    });

    it('never splits an escape pair across segments', () => {
      // 152 + [€ does not fit in the 1 septet left] -> segment 2 holds € + 151, segment 3 the last one.
      should(countSegments('a'.repeat(152) + '€' + 'a'.repeat(152))).containEql({ segments: 3, units: 306, perSegment: 153 });
      // The same 306 septets with the escape pair not straddling a boundary fit in 2.
      should(countSegments('a'.repeat(151) + '€' + 'a'.repeat(153))).containEql({ segments: 2, units: 306 });
      should(countSegments('€' + 'a'.repeat(304))).containEql({ segments: 2, units: 306 });
    });

    it('packs extension characters that exactly fill segments', () => {
      // 153 is odd: a segment of only escape pairs holds 76 of them (152 septets).
      should(countSegments('€'.repeat(153))).containEql({ segments: 3, units: 306 });
      should(countSegments('€'.repeat(152))).containEql({ segments: 2, units: 304 });
    });
  });

  describe('UCS-2', () => {
    const cases: [number, number, number][] = [
      [1, 1, 70],
      [70, 1, 70],
      [71, 2, 67],
      [134, 2, 67],
      [135, 3, 67],
      [201, 3, 67],
      [202, 4, 67],
    ];
    for (const [length, segments, perSegment] of cases) {
      it(`${length} UCS-2 units -> ${segments} segment(s)`, () => {
        should(countSegments('Ж'.repeat(length))).eql({ encoding: 'UCS-2', segments, units: length, perSegment, nonGsmCharacters: ['Ж'] });
      });
    }

    it('counts an emoji as two units', () => {
      should(countSegments('😀')).eql({ encoding: 'UCS-2', segments: 1, units: 2, perSegment: 70, nonGsmCharacters: ['😀'] });
      should(countSegments('😀'.repeat(35))).containEql({ segments: 1, units: 70 });
      should(countSegments('😀'.repeat(36))).containEql({ segments: 2, units: 72, perSegment: 67 });
    });

    it('never splits a surrogate pair across segments', () => {
      // 66 + [emoji does not fit in the 1 unit left] -> more segments than 134 / 67.
      should(countSegments('Ж'.repeat(66) + '😀' + 'Ж'.repeat(66))).containEql({ segments: 3, units: 134 });
      should(countSegments('Ж'.repeat(65) + '😀' + 'Ж'.repeat(67))).containEql({ segments: 2, units: 134 });
      // 67 emoji = 134 units; 33 fit per segment (66 units), so 3 segments.
      should(countSegments('😀'.repeat(67))).containEql({ segments: 3, units: 134 });
    });

    it('forces UCS-2 for the whole message because of one smart quote', () => {
      const text = 'a'.repeat(100) + '’';
      should(countSegments('a'.repeat(100) + "'")).containEql({ encoding: 'GSM-7', segments: 1, units: 101 });
      should(countSegments(text)).eql({ encoding: 'UCS-2', segments: 2, units: 101, perSegment: 67, nonGsmCharacters: ['’'] });
    });

    it('forces UCS-2 because of a no-break space', () => {
      should(countSegments('hello\u00A0world')).eql({ encoding: 'UCS-2', segments: 1, units: 11, perSegment: 70, nonGsmCharacters: ['\u00A0'] });
    });

    it('counts extension characters as one unit in UCS-2', () => {
      should(countSegments('€€Ж')).containEql({ encoding: 'UCS-2', units: 3 });
    });

    it('lists each forcing character once, in order of first use', () => {
      should(countSegments('Ж“ab”Ж😀“ç€').nonGsmCharacters).eql(['Ж', '“', '”', '😀', 'ç']);
    });

    it('counts a lone surrogate as one unit', () => {
      should(countSegments('a\uD83D')).containEql({ encoding: 'UCS-2', units: 2, nonGsmCharacters: ['\uD83D'] });
    });
  });

  it('handles 100 KB of text', () => {
    should(countSegments('a'.repeat(102400))).containEql({ encoding: 'GSM-7', segments: Math.ceil(102400 / 153), units: 102400 });
    should(countSegments('😀'.repeat(51200))).containEql({ encoding: 'UCS-2', segments: Math.ceil(51200 / 33), units: 102400 });
  });

  describe('invariants on random text', () => {
    function check(text: string): void {
      const r = countSegments(text);
      should(r.segments * r.perSegment).be.aboveOrEqual(r.units);
      should(r.segments).be.aboveOrEqual(Math.ceil(r.units / r.perSegment));
      // Each segment wastes at most one unit (half an escape or surrogate pair).
      if (r.segments > 1) should(r.segments).be.belowOrEqual(Math.ceil(r.units / (r.perSegment - 1)));
      should(r.segments === 0).equal(text === '');
      if (r.segments === 1) should(r.perSegment).equal(r.encoding === 'GSM-7' ? 160 : 70);
      if (r.segments > 1) should(r.perSegment).equal(r.encoding === 'GSM-7' ? 153 : 67);
    }

    it('holds for random GSM-7 strings with extension characters', () => {
      const rand = mulberry32(1);
      const alphabet = [...GSM_BASIC_CHARS, ...GSM_EXTENSION_CHARS];
      for (let n = 0; n < 500; n++) {
        const len = Math.floor(rand() * 700);
        let text = '';
        let septets = 0;
        for (let i = 0; i < len; i++) {
          const ch = alphabet[Math.floor(rand() * alphabet.length)];
          text += ch;
          septets += GSM_EXTENSION_CHARS.includes(ch) ? 2 : 1;
        }
        const r = countSegments(text);
        should(r.encoding).equal('GSM-7');
        should(r.units).equal(septets);
        should(r.nonGsmCharacters).eql([]);
        check(text);
      }
    });

    it('holds for random UCS-2 strings with emoji', () => {
      const rand = mulberry32(2);
      const alphabet = ['a', 'Ж', '😀', '€', '中', '👍', '\n'];
      for (let n = 0; n < 500; n++) {
        const len = 1 + Math.floor(rand() * 400);
        let text = 'Ж';
        for (let i = 1; i < len; i++) text += alphabet[Math.floor(rand() * alphabet.length)];
        const r = countSegments(text);
        should(r.encoding).equal('UCS-2');
        should(r.units).equal(text.length);
        check(text);
      }
    });
  });
});
