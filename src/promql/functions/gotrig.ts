/** Go math's Cephes-based inverse trigonometric functions (pure Go on amd64). */

function xatan(x: number): number {
  const P0 = -8.750608600031904122785e-1;
  const P1 = -1.615753718733365076637e1;
  const P2 = -7.500855792314704667340e1;
  const P3 = -1.228866684490136173410e2;
  const P4 = -6.485021904942025371773e1;
  const Q0 = +2.485846490142306297962e1;
  const Q1 = +1.650270098316988542046e2;
  const Q2 = +4.328810604912902668951e2;
  const Q3 = +4.853903996359136964868e2;
  const Q4 = +1.945506571482613964425e2;
  let z = x * x;
  z = (z * ((((P0 * z + P1) * z + P2) * z + P3) * z + P4)) / (((((z + Q0) * z + Q1) * z + Q2) * z + Q3) * z + Q4);
  z = x * z + x;
  return z;
}

const MOREBITS = 6.12323399573676588613e-17;
const TAN3PIO8 = 2.41421356237309504880;

function satan(x: number): number {
  if (x <= 0.66) return xatan(x);
  if (x > TAN3PIO8) return Math.PI / 2 - xatan(1 / x) + MOREBITS;
  return Math.PI / 4 + xatan((x - 1) / (x + 1)) + 0.5 * MOREBITS;
}

export function goAtan(x: number): number {
  if (x === 0) return x;
  if (x > 0) return satan(x);
  return -satan(-x);
}

export function goAsin(x: number): number {
  if (x === 0) return x;
  let sign = false;
  if (x < 0) {
    x = -x;
    sign = true;
  }
  if (x > 1) return NaN;
  let temp = Math.sqrt(1 - x * x);
  if (x > 0.7) temp = Math.PI / 2 - satan(temp / x);
  else temp = satan(x / temp);
  return sign ? -temp : temp;
}

export function goAcos(x: number): number {
  return Math.PI / 2 - goAsin(x);
}

function copysign(x: number, y: number): number {
  const neg = y < 0 || Object.is(y, -0);
  return neg ? -Math.abs(x) : Math.abs(x);
}

export function goAtan2(y: number, x: number): number {
  if (y !== y || x !== x) return NaN;
  if (y === 0) {
    if (x >= 0 && !Object.is(x, -0)) return copysign(0, y);
    return copysign(Math.PI, y);
  }
  if (x === 0) return copysign(Math.PI / 2, y);
  if (x === Infinity || x === -Infinity) {
    if (x === Infinity) return y === Infinity || y === -Infinity ? copysign(Math.PI / 4, y) : copysign(0, y);
    return y === Infinity || y === -Infinity ? copysign((3 * Math.PI) / 4, y) : copysign(Math.PI, y);
  }
  if (y === Infinity || y === -Infinity) return copysign(Math.PI / 2, y);
  const q = goAtan(y / x);
  if (x < 0) return q <= 0 ? q + Math.PI : q - Math.PI;
  return q;
}

// ---- Sin, Cos, Tan: ports of sin.go, tan.go and trig_reduce.go (pure Go on amd64) ----

const PI4A = 7.85398125648498535156e-1; // Pi/4 split into three parts
const PI4B = 3.77489470793079817668e-8;
const PI4C = 2.69515142907905952645e-15;
const FOUR_OVER_PI = 1.2732395447351628; // Go's constant 4/Pi rounded once
const REDUCE_THRESHOLD = 1 << 29;

const SIN0 = 1.58962301576546568060e-10;
const SIN1 = -2.50507477628578072866e-8;
const SIN2 = 2.75573136213857245213e-6;
const SIN3 = -1.98412698295895385996e-4;
const SIN4 = 8.33333333332211858878e-3;
const SIN5 = -1.66666666666666307295e-1;
const COS0 = -1.13585365213876817300e-11;
const COS1 = 2.08757008419747316778e-9;
const COS2 = -2.75573141792967388112e-7;
const COS3 = 2.48015872888517045348e-5;
const COS4 = -1.38888888888730564116e-3;
const COS5 = 4.16666666666665929218e-2;

const TAN_P0 = -1.30936939181383777646e4;
const TAN_P1 = 1.15351664838587416140e6;
const TAN_P2 = -1.79565251976484877988e7;
const TAN_Q1 = 1.36812963470692954678e4;
const TAN_Q2 = -1.32089234440210967447e6;
const TAN_Q3 = 2.50083801823357915839e7;
const TAN_Q4 = -5.38695755929454629881e7;

/** 4/π in binary, as 16-bit digits, most significant first (Go's mPi4: 20 uint64 words). */
const MPI4 = new Uint16Array(
  [
    '0000000000000001', '45f306dc9c882a53', 'f84eafa3ea69bb81', 'b6c52b3278872083', 'fca2c757bd778ac3',
    '6e48dc74849ba5c0', '0c925dd413a32439', 'fc3bd63962534e7d', 'd1046bea5d768909', 'd338e04d68befc82',
    '7323ac7306a673e9', '3908bf177bf25076', '3ff12fffbc0b301f', 'de5e2316b414da3e', 'da6cfd9e4f96136e',
    '9e8c7ecd3cbfd45a', 'ea4f758fd7cbe2f6', '7a0e73ef14a525d4', 'd7f6bf623f1aba10', 'ac06608df8f6d757',
  ].flatMap((w) => [0, 4, 8, 12].map((i) => parseInt(w.slice(i, i + 4), 16))),
);

const TF64 = new Float64Array(1);
const TU32 = new Uint32Array(TF64.buffer);
// Scratch for trigReduce: the 192-bit window of 4/π (12 digits, least significant first), the
// 53-bit mantissa (4 digits) and their product (16 digits).
const BW = new Float64Array(12);
const IX = new Float64Array(4);
const PROD = new Float64Array(16);

let reducedJ = 0;

/**
 * Payne–Hanek reduction of x ≥ 2^29 by π/4 (Go's trigReduce): leaves the octant in `reducedJ`
 * and returns the fraction times π/4. The 64-bit integer products of the Go code are done on
 * 16-bit digits in doubles (exact), so nothing allocates.
 */
export function trigReduce(x: number): number {
  if (x < Math.PI / 4) {
    reducedJ = 0;
    return x;
  }
  TF64[0] = x;
  const hi = TU32[1]!;
  const lo = TU32[0]!;
  const exp = ((hi >>> 20) & 0x7ff) - 1023 - 52;
  // ix: the 53-bit integer mantissa as four 16-bit digits (least significant first).
  IX[0] = lo & 0xffff;
  IX[1] = lo >>> 16;
  IX[2] = hi & 0xffff;
  IX[3] = ((hi >>> 16) & 0xf) | 0x10; // bits 48..52, with the implicit one
  // B: 192 bits of 4/π starting at bit exp+61 of the table.
  const off = exp + 61;
  const w = off >>> 4;
  const sh = off & 15;
  for (let i = 0; i < 12; i++) {
    const a = MPI4[w + i]!;
    const b = MPI4[w + i + 1]!;
    BW[11 - i] = sh === 0 ? a : ((a << sh) | (b >>> (16 - sh))) & 0xffff;
  }
  PROD.fill(0);
  for (let i = 0; i < 12; i++) {
    const bi = BW[i]!;
    if (bi === 0) continue;
    let carry = 0;
    for (let k = 0; k < 4; k++) {
      const t = PROD[i + k]! + bi * IX[k]! + carry;
      const d = t % 65536;
      PROD[i + k] = d;
      carry = (t - d) / 65536;
    }
    for (let k = i + 4; carry !== 0 && k < 16; k++) {
      const t = PROD[k]! + carry;
      const d = t % 65536;
      PROD[k] = d;
      carry = (t - d) / 65536;
    }
  }
  // hi:lo = PROD digits 4..11 (bits 64..191); j = top 3 bits; the fraction is the other 125.
  const top = PROD[11]!;
  let j = top >>> 13;
  // Go keeps the fraction's top 64 bits (positions 124..61) in `hi` and then refills from the
  // unshifted `lo` (positions 63..0 again), truncating to 53 bits from the leading one of `hi`.
  let z: number;
  let s0 = -1; // index of the leading one in that bit stream (Go's lz)
  for (let s = 0; s < 64; s++) {
    if (fracBit(124 - s) !== 0) {
      s0 = s;
      break;
    }
  }
  if (s0 < 0) {
    z = 2 ** -65; // hi = 0: Go leaves only the exponent bits (bias − 65)
  } else {
    let acc = 1;
    for (let s = s0 + 1; s <= s0 + 52; s++) acc = acc * 2 + fracBit(s < 64 ? 124 - s : 127 - s);
    z = acc * 2 ** (-(s0 + 1) - 52);
  }
  if ((j & 1) === 1) {
    j = (j + 1) & 7;
    z--;
  }
  reducedJ = j;
  return z * (Math.PI / 4);
}

/** Bit `pos` (0..127) of hi:lo, i.e. of PROD digits 4..11. */
function fracBit(pos: number): number {
  return ((PROD[4 + (pos >>> 4)]! >>> (pos & 15)) & 1);
}

/** Reduction shared by sin, cos, tan: x ≥ 0; octant (before masking) in reducedJ. */
function reduce(x: number): number {
  if (x >= REDUCE_THRESHOLD) return trigReduce(x);
  let j = Math.trunc(x * FOUR_OVER_PI);
  let y = j;
  if ((j & 1) === 1) {
    j++;
    y++;
  }
  reducedJ = j;
  return x - y * PI4A - y * PI4B - y * PI4C;
}

function sinPoly(z: number, zz: number): number {
  return z + z * zz * (((((SIN0 * zz + SIN1) * zz + SIN2) * zz + SIN3) * zz + SIN4) * zz + SIN5);
}

function cosPoly(zz: number): number {
  return 1.0 - 0.5 * zz + zz * zz * (((((COS0 * zz + COS1) * zz + COS2) * zz + COS3) * zz + COS4) * zz + COS5);
}

export function goSin(x: number): number {
  if (x === 0 || x !== x) return x;
  if (x === Infinity || x === -Infinity) return NaN;
  let sign = false;
  if (x < 0) {
    x = -x;
    sign = true;
  }
  const z = reduce(x);
  let j = reducedJ & 7;
  if (j > 3) {
    sign = !sign;
    j -= 4;
  }
  const zz = z * z;
  const y = j === 1 || j === 2 ? cosPoly(zz) : sinPoly(z, zz);
  return sign ? -y : y;
}

export function goCos(x: number): number {
  if (x !== x || x === Infinity || x === -Infinity) return NaN;
  x = Math.abs(x);
  let sign = false;
  const z = reduce(x);
  let j = reducedJ & 7;
  if (j > 3) {
    j -= 4;
    sign = !sign;
  }
  if (j > 1) sign = !sign;
  const zz = z * z;
  const y = j === 1 || j === 2 ? sinPoly(z, zz) : cosPoly(zz);
  return sign ? -y : y;
}

export function goTan(x: number): number {
  if (x === 0 || x !== x) return x;
  if (x === Infinity || x === -Infinity) return NaN;
  let sign = false;
  if (x < 0) {
    x = -x;
    sign = true;
  }
  const z = reduce(x);
  const j = reducedJ;
  const zz = z * z;
  let y: number;
  if (zz > 1e-14) y = z + z * ((zz * ((TAN_P0 * zz + TAN_P1) * zz + TAN_P2)) / ((((zz + TAN_Q1) * zz + TAN_Q2) * zz + TAN_Q3) * zz + TAN_Q4));
  else y = z;
  if ((j & 2) === 2) y = -1 / y;
  return sign ? -y : y;
}
